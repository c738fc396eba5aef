import Testing

@testable import IntakeCore

/// Where a partial download of a task is kept: named by the task id when that is safe in a
/// file name, by its hash otherwise, always inside the partial folder.
@Suite("Download partial file names")
struct DownloadPartialNameTests {
    @Test(
        "ids made of letters, digits, '-', '_' and '.' name the files as they are",
        arguments: ["01a24250-4461-758c-93df-28ac74636e72", "task_1.v2", "A-Z_09"])
    func safeIDs(_ id: String) {
        let partial = PartialDownload(folder: "/p", taskID: id)
        #expect(partial.body == "/p/download-\(id).part")
        #expect(partial.validator == "/p/download-\(id).resume")
    }

    @Test(
        "any other id is replaced by its SHA-256, so the name stays in the folder",
        arguments: [
            "", ".hidden", "../../etc/passwd", "a/b", "caf\u{e9}", "a b", "x\0y",
            String(repeating: "a", count: 101),
        ])
    func unsafeIDs(_ id: String) {
        let partial = PartialDownload(folder: "/p", taskID: id)
        let name = String(partial.body.dropFirst("/p/download-".count).dropLast(".part".count))
        #expect(partial.body.hasPrefix("/p/download-") && partial.body.hasSuffix(".part"))
        #expect(name.count == 64 && name.allSatisfy { $0.isHexDigit })
        #expect(partial.validator == "/p/download-\(name).resume")
    }
}
