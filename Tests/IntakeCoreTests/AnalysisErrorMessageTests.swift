import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("Analysis error messages")
struct AnalysisErrorMessageTests {
    @Test("a decoding error names its own file's problem, not what an earlier load left behind")
    func ownErrorOnly() throws {
        let inspector = try ImageInspector(settings: Configuration().analysis)
        let corpus = Paths.corpus + "/exif-samples"
        // A HEIC load that succeeds leaves warnings in libvips' error buffer.
        _ = try inspector.analysis(of: corpus + "/heic/IMG_5195.HEIC")
        do {
            _ = try inspector.analysis(of: corpus + "/jpg/corrupted.jpg")
            Issue.record("corrupted.jpg decoded")
        } catch let error as ImageError {
            #expect(error.code == "corrupt_image")
            #expect(error.message.contains("VipsJpeg"), "\(error.message)")
            #expect(!error.message.lowercased().contains("heif"), "\(error.message)")
            #expect(!error.message.contains("seek"), "\(error.message)")
        }
    }
}
