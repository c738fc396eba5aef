import Foundation
import Testing

@testable import IntakeCore

/// Real writers dropping into a real watched inbox; each test checks that every drop was
/// recorded exactly once, as the right kind, with its file moved out of the inbox.
@Suite("Inbox watching", .serialized)
struct InboxWatchTests {
    let harness: InboxHarness

    init() throws {
        harness = try InboxHarness()
    }

    /// Runs an inbox with `settings`, lets `drop` put files in, waits for `expected` drops,
    /// stops the inbox, and returns the drops recorded.
    func watch(
        _ settings: InboxSettings = InboxSettings(settleMillis: 100, rescanSeconds: 3600),
        expected: Int, seconds: Double = 20, sink: RecordingSink? = nil,
        _ drop: () async throws -> Void
    ) async throws -> [InboxRecord] {
        let sink = try sink ?? RecordingSink(databasePath: harness.home.database)
        let inbox = Inbox(home: harness.home, settings: settings)
        let task = try await harness.start(inbox, sink: sink)
        do {
            try await drop()
            try await harness.waitForDrops(expected, seconds: seconds)
        } catch {
            task.cancel()
            _ = try? await task.value
            throw error
        }
        task.cancel()
        try await task.value
        let drops = try harness.drops()
        #expect(drops.count == expected)
        #expect(Set(drops.map(\.origin)).count == drops.count, "an origin was recorded twice")
        #expect(drops.allSatisfy { $0.state != "claiming" })
        return drops
    }

    @Test func copiedFileIsOneImageDrop() async throws {
        let drops = try await watch(expected: 1) {
            try #require(try shell("cp '\(corpusJPEG)' '\(harness.path("photo.jpg"))'") == 0)
        }
        #expect(drops.first?.origin == "file://" + harness.path("photo.jpg"))
        #expect(drops.first?.kind == "image")
        let workPath = try #require(drops.first?.workPath)
        #expect(workPath.hasPrefix(harness.home.work + "/") && workPath.hasSuffix(".jpg"))
        #expect(FileManager.default.contentsEqual(atPath: workPath, andPath: corpusJPEG))
        #expect(harness.files(under: harness.home.inbox).isEmpty)
        #expect(try harness.tasks().map(\.state) == ["queued"])
    }

    @Test func filesPresentAtStartAreTaken() async throws {
        writeFile(harness.path("early.png"), tinyPNG)
        try FileManager.default.createDirectory(
            atPath: harness.path("sub"), withIntermediateDirectories: true)
        writeFile(harness.path("sub/list.txt"), "https://e.example/1\nhttps://e.example/2\n")
        let drops = try await watch(expected: 2) {}
        #expect(Set(drops.map(\.kind)) == ["image", "url_list"])
        #expect(try harness.tasks().count == 3)
        // A URL list's file is gone once its URLs are tasks; folders stay.
        #expect(harness.files(under: harness.home.work).count == 1)
        #expect(FileManager.default.fileExists(atPath: harness.path("sub")))
    }

    @Test func movedFromTheSameFileSystem() async throws {
        let staged = harness.root + "/staged.png"
        writeFile(staged, tinyPNG)
        let drops = try await watch(expected: 1) {
            try #require(try shell("mv '\(staged)' '\(harness.path("moved.png"))'") == 0)
        }
        #expect(drops.map(\.origin) == ["file://" + harness.path("moved.png")])
    }

    @Test func movedFromAnotherFileSystem() async throws {
        let staged = "/dev/shm/intake-inbox-test-\(UUID().uuidString).jpg"
        try #require(try shell("cp '\(corpusJPEG)' '\(staged)'") == 0)
        defer { unlink(staged) }
        let drops = try await watch(expected: 1) {
            try #require(try shell("mv '\(staged)' '\(harness.path("far.jpg"))'") == 0)
        }
        #expect(drops.first?.kind == "image")
        let workPath = try #require(drops.first?.workPath)
        #expect(FileManager.default.contentsEqual(atPath: workPath, andPath: corpusJPEG))
    }

    @Test func slowWriterIsTakenOnlyWhenComplete() async throws {
        // About 2 s of writing, 100 ms between lines, while the settle time is 300 ms: the
        // file is closed only at the end, so only then is it a candidate.
        let path = harness.path("slow.txt")
        let settings = InboxSettings(settleMillis: 300, rescanSeconds: 3600)
        let drops = try await watch(settings, expected: 1) {
            let command =
                "for i in $(seq 1 20); do echo https://e.example/$i; sleep 0.1; done > '\(path)'"
            try #require(try shell(command) == 0)
        }
        #expect(drops.first?.kind == "url_list")
        #expect(try harness.tasks().count == 20)
    }

    @Test func hardLinkIntoTheInbox() async throws {
        let outside = harness.root + "/linked.png"
        writeFile(outside, tinyPNG)
        let drops = try await watch(expected: 1) {
            #expect(link(outside, harness.path("linked.png")) == 0)
        }
        #expect(drops.map(\.origin) == ["file://" + harness.path("linked.png")])
        #expect(FileManager.default.fileExists(atPath: outside), "the other link is untouched")
    }

    @Test func partialNameRenamedWhenDone() async throws {
        let partial = harness.path("x.jpg.part")
        let sink = try RecordingSink(databasePath: harness.home.database)
        let drops = try await watch(expected: 1, sink: sink) {
            try #require(try shell("cp '\(corpusJPEG)' '\(partial)'") == 0)
            // Nothing to wait for: the .part file must stay untouched past its settle time.
            try await Task.sleep(nanoseconds: 400_000_000)
            #expect(try harness.recordedCount() == 0)
            #expect(FileManager.default.fileExists(atPath: partial))
            #expect(rename(partial, harness.path("x.jpg")) == 0)
        }
        #expect(drops.map(\.origin) == ["file://" + harness.path("x.jpg")])
    }

    @Test func tarExtractOfNestedFolders() async throws {
        let staging = harness.root + "/staging"
        var names: [String] = []
        for folder in ["a", "a/b", "a/b/c", "d"] {
            try FileManager.default.createDirectory(
                atPath: staging + "/" + folder, withIntermediateDirectories: true)
            for index in 1...5 {
                let name = "\(folder)/f\(index).png"
                writeFile(staging + "/" + name, tinyPNG)
                names.append(name)
            }
        }
        try #require(try shell("tar -C '\(staging)' -cf '\(harness.root)/drop.tar' a d") == 0)
        let drops = try await watch(expected: names.count) {
            try #require(
                try shell("tar -C '\(harness.home.inbox)' -xf '\(harness.root)/drop.tar'") == 0)
        }
        #expect(Set(drops.map(\.origin)) == Set(names.map { "file://" + harness.path($0) }))
        #expect(harness.files(under: harness.home.inbox).isEmpty)
        #expect(FileManager.default.fileExists(atPath: harness.path("a/b/c")))
    }

    @Test func filesRightAfterMkdirP() async throws {
        let drops = try await watch(expected: 9) {
            let command =
                "cd '\(harness.home.inbox)' && mkdir -p a/b/c && "
                + "for d in a a/b a/b/c; do for i in 1 2 3; do "
                + "echo https://e.example/$d/$i > $d/l$i.txt; done; done"
            try #require(try shell(command) == 0)
        }
        #expect(drops.allSatisfy { $0.kind == "url_list" })
        #expect(try harness.tasks().count == 9)
    }

    @Test func wholeFolderMovedIn() async throws {
        let staging = harness.root + "/album"
        try FileManager.default.createDirectory(
            atPath: staging + "/inner/deeper", withIntermediateDirectories: true)
        for path in ["/1.png", "/2.png", "/inner/3.png", "/inner/deeper/4.png"] {
            writeFile(staging + path, tinyPNG)
        }
        let drops = try await watch(expected: 4) {
            try #require(try shell("mv '\(staging)' '\(harness.path("album"))'") == 0)
        }
        #expect(
            drops.contains { $0.origin == "file://" + harness.path("album/inner/deeper/4.png") })
        #expect(FileManager.default.fileExists(atPath: harness.path("album/inner/deeper")))
    }

    @Test func folderMovedOutIsNoLongerWatched() async throws {
        let outside = harness.root + "/outside"
        let drops = try await watch(expected: 1) {
            try FileManager.default.createDirectory(
                atPath: harness.path("box"), withIntermediateDirectories: true)
            try await Task.sleep(nanoseconds: 100_000_000)
            #expect(rename(harness.path("box"), outside) == 0)
            writeFile(outside + "/not-mine.png", tinyPNG)
            writeFile(harness.path("mine.png"), tinyPNG)
        }
        #expect(drops.map(\.origin) == ["file://" + harness.path("mine.png")])
        #expect(FileManager.default.fileExists(atPath: outside + "/not-mine.png"))
    }

    @Test func twentyThousandFilesPastTheEventQueue() async throws {
        // The sink holds the inbox's thread in its first call while the files are written, so
        // the kernel's event queue (16384 events) overflows for certain and the inbox has to
        // rescan to find them all.
        let gate = DispatchSemaphore(value: 0)
        let sink = try RecordingSink(databasePath: harness.home.database, gate: gate)
        let count = 20_000
        let settings = InboxSettings(settleMillis: 0, rescanSeconds: 3600)
        let drops = try await watch(settings, expected: count, seconds: 120, sink: sink) {
            writeFile(harness.path("first.png"), tinyPNG)
            try await waitUntil("the first drop reaches the sink") { sink.callCount > 0 }
            for index in 1..<count {
                writeFile(harness.path("f\(index).png"), tinyPNG)
            }
            gate.signal()
        }
        #expect(drops.allSatisfy { $0.kind == "image" })
        #expect(try harness.tasks().count == count)
        #expect(harness.files(under: harness.home.inbox).isEmpty)
        #expect(harness.files(under: harness.home.work).count == count)
    }
}
