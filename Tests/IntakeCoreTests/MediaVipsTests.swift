import CVips
import Foundation
import Testing

@testable import IntakeCore

@Suite("Media libvips start-up")
struct MediaVipsTests {
    @Test("only the HEIF and ImageMagick loader modules are loaded; VIPSHOME is left as found")
    func modules() throws {
        let userSet = getenv("VIPSHOME") != nil
        try Vips.start()
        if !userSet {
            #expect(getenv("VIPSHOME") == nil, "plugins would inherit intake's VIPSHOME")
        }
        let folder = try #require(Vips.moduleFolder)
        #expect(FileManager.default.fileExists(atPath: folder + "/vips-heif.so"))
        #expect(vips_type_find("VipsOperation", "heifload") != 0)
        #expect(vips_type_find("VipsOperation", "magickload") != 0)
        // This libvips has its PDF loader as a module too, which intake never loads.
        if !userSet && FileManager.default.fileExists(atPath: folder + "/vips-poppler.so") {
            #expect(vips_type_find("VipsOperation", "pdfload") == 0)
        }
    }

    /// The Orc library that libvips compiles its vector code with (0.4.33 here) frees a
    /// compiled program without the lock it takes to allocate one, so two threads reducing
    /// images at once can corrupt its code memory and crash the process: a SIGSEGV in
    /// `orc_code_free`, about once per 6,000 thumbnails made on two threads. Nothing smaller
    /// than that reproduces it in a test's time, so this checks the setting that avoids it.
    @Test("libvips' vector code (Orc) is off once libvips has started")
    func vectorCodeOff() throws {
        try Vips.start()
        #expect(vips_vector_isenabled() == 0)
    }
}
