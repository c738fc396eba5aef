import Foundation
import Testing

@testable import IntakeCore

/// Bad input dropped into a watched inbox: each drop ends in `rejected/` beside its
/// `NAME.error.json` and as one task failed with the reason's code; nothing is lost, nothing is
/// opened that must not be.
@Suite("Inbox rejections", .serialized)
struct InboxRejectionTests {
    let harness: InboxHarness

    init() throws {
        harness = try InboxHarness()
    }

    func run(_ settings: InboxSettings, expected: Int, _ drop: () throws -> Void) async throws {
        let sink = try RecordingSink(databasePath: harness.home.database)
        let inbox = Inbox(home: harness.home, settings: settings)
        let task = try await harness.start(inbox, sink: sink)
        do {
            try drop()
            try await harness.waitForDrops(expected)
            try await waitUntil("every rejected drop moved") {
                try harness.drops().allSatisfy { $0.state == "claimed" || $0.state == "rejected" }
            }
        } catch {
            task.cancel()
            _ = try? await task.value
            throw error
        }
        task.cancel()
        try await task.value
    }

    /// The rejection code of the drop dropped as `relative`, checked against its task, its
    /// place in `rejected/` and its `.error.json`.
    func rejection(of relative: String) throws -> String? {
        let origin = "file://" + harness.path(relative)
        guard let drop = try harness.drops().first(where: { $0.origin == origin }) else {
            Issue.record("no drop for \(relative)")
            return nil
        }
        #expect(drop.kind == "rejected")
        #expect(drop.state == "rejected")
        let tasks = try harness.tasks().filter { $0.origin == origin }
        #expect(tasks.count == 1)
        #expect(tasks.first?.state == "failed")
        let placed = try #require(drop.workPath)
        #expect(placed.hasPrefix(harness.home.rejected + "/"))
        var status = stat()
        #expect(lstat(placed, &status) == 0, "\(placed) is missing")
        let data = try Data(contentsOf: URL(fileURLWithPath: placed + ".error.json"))
        let report = try JSONDecoder().decode(DropMover.ErrorReport.self, from: data)
        #expect(report.code == tasks.first?.errorCode)
        #expect(report.source == origin)
        #expect(report.traceId.count == 32)
        #expect(!report.message.isEmpty)
        return tasks.first?.errorCode
    }

    @Test func everyBadInputHasItsOutcome() async throws {
        let settings = InboxSettings(
            settleMillis: 50, rescanSeconds: 3600, maxURLs: 3, maxImageBytes: 1000)
        var expected: [String: String] = [
            "link.jpg": "unsupported_type", "pipe.jpg": "unsupported_type",
            "socket.jpg": "unsupported_type", "binary.dat": "unsupported_type",
            "empty.txt": "empty_drop", "comments.txt": "empty_drop", "big.jpg": "too_large",
            "many.txt": "too_large", "long.txt": "too_large", "latin1.txt": "unsupported_type",
        ]
        let isRoot = getuid() == 0
        if isRoot { expected["null.dev"] = "unsupported_type" }
        try await run(settings, expected: expected.count) {
            #expect(symlink("/etc/hostname", harness.path("link.jpg")) == 0)
            #expect(mkfifo(harness.path("pipe.jpg"), 0o600) == 0)
            let bind =
                "import socket; socket.socket(socket.AF_UNIX).bind('\(harness.path("socket.jpg"))')"
            try #require(try shell("python3 -c \"\(bind)\"") == 0)
            if isRoot {
                #expect(mknod(harness.path("null.dev"), S_IFCHR | 0o600, dev_t(1 << 8 | 3)) == 0)
            }
            writeFile(
                harness.path("binary.dat"),
                (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) })
            writeFile(harness.path("empty.txt"), [])
            writeFile(harness.path("comments.txt"), "# nothing yet\n\n")
            try #require(try shell("cp '\(corpusJPEG)' '\(harness.path("big.jpg"))'") == 0)
            writeFile(
                harness.path("many.txt"), (1...5).map { "https://e.example/\($0)\n" }.joined())
            writeFile(
                harness.path("long.txt"),
                "https://e.example/" + String(repeating: "a", count: 20_000))
            writeFile(
                harness.path("latin1.txt"), Array("http://e.example/caf".utf8) + [0xE9, 0x0A])
        }
        for (name, code) in expected {
            #expect(try rejection(of: name) == code, "\(name)")
        }
        #expect(harness.files(under: harness.home.inbox).isEmpty)
        #expect(harness.files(under: harness.home.work).isEmpty)
        var status = stat()
        #expect(lstat(harness.home.rejected + "/link.jpg", &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFLNK, "the symbolic link itself was moved")
        #expect(lstat(harness.home.rejected + "/pipe.jpg", &status) == 0)
        #expect(status.st_mode & S_IFMT == S_IFIFO)
    }

    @Test func invalidLinesAreFailedTasksOfAnAcceptedList() async throws {
        let settings = InboxSettings(settleMillis: 50, rescanSeconds: 3600)
        try await run(settings, expected: 1) {
            writeFile(
                harness.path("list.txt"),
                "https://e.example/ok\nnot a url\nhttps://e.example/ok\nftp://e.example/x\n")
        }
        let tasks = try harness.tasks()
        #expect(tasks.map(\.source).filter { $0.hasPrefix("https:") } == ["https://e.example/ok"])
        let failed = tasks.filter { $0.state == "failed" }
        #expect(failed.map(\.errorCode) == ["invalid_url", "invalid_url"])
        #expect(failed.first?.errorMessage?.hasPrefix("line 2 ") == true)
        #expect(harness.files(under: harness.home.rejected).isEmpty)
    }

    @Test func nameClashesInRejectedNeverOverwrite() async throws {
        writeFile(harness.home.rejected + "/same.bin", "kept")
        try FileManager.default.createDirectory(
            atPath: harness.path("sub"), withIntermediateDirectories: true)
        let settings = InboxSettings(settleMillis: 50, rescanSeconds: 3600)
        try await run(settings, expected: 2) {
            writeFile(harness.path("same.bin"), [0x00, 0x01, 0x02, 0xFF, 0xFE])
            writeFile(harness.path("sub/same.bin"), [0x00, 0x01, 0x02, 0xFF, 0xFD])
        }
        #expect(try rejection(of: "same.bin") == "unsupported_type")
        #expect(try rejection(of: "sub/same.bin") == "unsupported_type")
        #expect(
            try String(contentsOfFile: harness.home.rejected + "/same.bin", encoding: .utf8)
                == "kept")
        #expect(
            harness.files(under: harness.home.rejected)
                == [
                    "same-1.bin", "same-1.bin.error.json", "same-2.bin", "same-2.bin.error.json",
                    "same.bin",
                ])
    }

    @Test func ignoredNamesStayInTheInbox() async throws {
        let ignored = [
            ".hidden.jpg", "a.jpg.part", "b.partial", "c.tmp", "d.crdownload", "e.aria2", "f.jpg~",
            "Thumbs.db", "@eaDir/inside.png", "g.skip",
        ]
        let settings = InboxSettings(settleMillis: 50, rescanSeconds: 3600, ignore: ["*.skip"])
        try FileManager.default.createDirectory(
            atPath: harness.path("@eaDir"), withIntermediateDirectories: true)
        try await run(settings, expected: 1) {
            for name in ignored { writeFile(harness.path(name), tinyPNG) }
            // Written last: once it is taken, the ignored files had their chance too.
            writeFile(harness.path("taken.png"), tinyPNG)
        }
        #expect(try harness.drops().map(\.origin) == ["file://" + harness.path("taken.png")])
        for name in ignored {
            #expect(FileManager.default.fileExists(atPath: harness.path(name)), "\(name)")
        }
    }
}
