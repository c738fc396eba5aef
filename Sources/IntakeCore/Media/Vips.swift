import CSystem
import CVips
import Foundation

/// The libvips library as a whole: started once per process, and its error buffer.
enum Vips {
    /// Starts libvips on first use. `vips_init` must run once before any other call; a Swift
    /// static is initialised exactly once, even when several threads race to it. The start
    /// changes the environment (below), so a program with threads of its own that may read
    /// it (the daemon) calls this before starting them.
    static func start() throws(ImageError) {
        if let failure = started {
            throw ImageError(.unreadable, path: "libvips", detail: failure, function: "vips_init")
        }
    }

    /// Nil when libvips started, else its error message.
    private static let started: String? = {
        // libvips loads every module in its module folder at start: here PDF (poppler),
        // OpenSlide, JPEG XL, HEIF and ImageMagick, which pull in about 140 more shared
        // libraries (20 ms of every `intake inspect`). A prefix with no module folder stops
        // that, and intake loads the two it reads the contract's formats with. libvips itself
        // sets VIPSHOME during `vips_init`; it is unset again so that plugins and analyzers do
        // not inherit it. A VIPSHOME the user set is left alone, with all its modules.
        let chooseModules = getenv("VIPSHOME") == nil
        if chooseModules { setenv("VIPSHOME", "/dev/null", 1) }
        let status = vips_init("intake")
        if chooseModules { unsetenv("VIPSHOME") }
        guard status == 0 else { return takeError() }
        if chooseModules { loadModules(wanted) }
        // Callers decode one image per thread (stage workers, `inspect` over the cores); more
        // libvips workers per image only hand its rows between threads, which measured slower.
        vips_concurrency_set(1)
        // libvips compiles the inner loops of its resamplers with Orc at run time, and the
        // Orc of Debian 12 (0.4.33) frees a compiled program without taking the lock that its
        // allocation takes: two threads reducing images at once crashed `intake inspect
        // --thumbnails` about once per 6,000 thumbnails (SIGSEGV in `orc_code_free`), and not
        // once in 20 runs of 1,000 with Orc off. libvips' plain C loops cost about 0.4 ms
        // more per resize.
        vips_vector_set_enabled(0)
        // Loaders that libvips marks untrusted (PDF, SVG, JPEG 2000, ...) never see our input.
        // The ImageMagick loader is the one exception: this libvips reads BMP, which the
        // contract lists, only through it. Only content that libmagic already named one of
        // intake's image types ever reaches a loader (`ImageInspector.imageTypes`).
        vips_block_untrusted_set(1)
        vips_operation_block_set("VipsForeignLoadMagick", 0)
        // Every file is opened once: caching operations would only hold decoded pixels.
        vips_cache_set_max(0)
        // libvips reports recoverable oddities ("ignoring nclx profile") through GLib's log,
        // which prints to standard error; a damaged file is reported through errors instead.
        g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, { _, _, _, _ in }, nil)
        return nil
    }()

    /// The loader modules intake needs: HEIC, HEIF and AVIF come through libheif, BMP only
    /// through ImageMagick. The others are for formats the contract does not take.
    static let wanted = ["vips-heif", "vips-magick"]

    /// Loads `names` from `moduleFolder`. A module that is not there, or that fails to load, is
    /// skipped without a word: its formats are then built in, or refused as corrupt images
    /// ("not a known file format"), which `MediaVipsTests` would show on such a system.
    private static func loadModules(_ names: [String]) {
        guard let folder = moduleFolder else { return }
        for name in names {
            let path = "\(folder)/\(name).so"
            guard access(path, R_OK) == 0 else { continue }
            _ = intake_vips_load_module(path)
        }
    }

    /// The folder libvips keeps its modules in, beside the library in use
    /// (`vips-modules-MAJOR.MINOR`); nil when the library's path cannot be found.
    static var moduleFolder: String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        guard intake_object_path(intake_vips_address(), &buffer, UInt(buffer.count)) == 0 else {
            return nil
        }
        let library = String(
            decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return (library as NSString).deletingLastPathComponent
            + "/vips-modules-\(vips_version(0)).\(vips_version(1))"
    }

    /// Where libvips' error buffer ends now: taken before a call, so that the call's own error
    /// text can be told apart from what earlier calls left there (a successful HEIC load, for
    /// one, leaves warnings behind).
    static func errorMark() -> Int {
        strlen(vips_error_buffer())
    }

    /// The text libvips added to its error buffer since `mark`; the buffer is then cleared.
    ///
    /// Known limitation: libvips keeps one error buffer per process, so when two threads fail
    /// at the same moment a message may carry parts of the other's error, or lose its own when
    /// the other clears the buffer first ("unknown libvips error").
    static func takeError(since mark: Int = 0) -> String {
        let buffer = String(cString: vips_error_buffer())
        vips_error_clear()
        let utf8 = Array(buffer.utf8)
        let text = mark <= utf8.count ? String(decoding: utf8[mark...], as: UTF8.self) : buffer
        let lines = text.split(separator: "\n").map { String($0) }
        return lines.isEmpty ? "unknown libvips error" : lines.joined(separator: "; ")
    }
}
