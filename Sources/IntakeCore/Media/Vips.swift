import CVips

/// The libvips library as a whole: started once per process, and its error buffer.
enum Vips {
    /// Starts libvips on first use. `vips_init` must run once before any other call; a Swift
    /// static is initialised exactly once, even when several threads race to it.
    static func start() throws(ImageError) {
        if let failure = started {
            throw ImageError(.unreadable, path: "libvips", detail: failure, function: "vips_init")
        }
    }

    /// Nil when libvips started, else its error message.
    private static let started: String? = {
        guard vips_init("intake") == 0 else { return takeError() }
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
