import Foundation
import TestSupport
import IntakeCore

/// One test's temporary home with a store, and a folder of files for the test servers to
/// serve: real JPEGs copied from the corpus (never into the repository).
final class DownloadFixture {
    let folder: String
    let home: Home
    let store: Store
    /// What the servers serve.
    let served: String

    static let corpus = "/work/shared/corpus/exif-samples/jpg"
    /// A small JPEG (about 8 KB).
    static let smallImage = "Canon_40D.jpg"
    /// A larger JPEG (about 420 KB), for bodies cut off part-way.
    static let largeImage = "Reconyx_HC500_Hyperfire.jpg"

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/intake-download-XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else {
            throw ServerStartError(message: "mkdtemp failed: errno \(errno)")
        }
        folder = String(cString: created)
        home = Home(root: folder + "/home")
        served = folder + "/served"
        try FileManager.default.createDirectory(
            atPath: served, withIntermediateDirectories: true)
        for name in [DownloadFixture.smallImage, DownloadFixture.largeImage] {
            try FileManager.default.copyItem(
                atPath: DownloadFixture.corpus + "/" + name, toPath: served + "/" + name)
        }
        try FileManager.default.createDirectory(
            atPath: home.root, withIntermediateDirectories: true)
        store = try Store(home: home)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// A downloader that may reach 127.0.0.1, with short limits so that failing cases end
    /// quickly; `adjust` changes the settings further.
    func downloader(_ adjust: (inout DownloadSettings) -> Void = { _ in }) throws -> Downloader {
        var settings = DownloadSettings()
        settings.download.allowPrivateAddresses = true
        settings.download.connectTimeoutSeconds = 5
        settings.download.timeoutSeconds = 30
        settings.download.lowSpeedBytesPerSecond = 100
        settings.download.lowSpeedSeconds = 2
        adjust(&settings)
        return try Downloader(store: store, settings: settings)
    }

    /// The bytes of a served file.
    func servedBytes(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: served + "/" + name))
    }

    /// What is left in `store/tmp`.
    func temporaryEntries() -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: store.temporary)) ?? []
    }
}
