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
}
