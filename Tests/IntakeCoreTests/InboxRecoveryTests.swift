import Foundation
import Synchronization
import Testing

@testable import IntakeCore

/// A claim interrupted at each of its steps, as a SIGKILL would leave it, and what recovery at
/// the next start makes of it: the file is either still in the inbox and not recorded, or
/// recorded (once) and in `work/`.
@Suite("Inbox recovery")
struct InboxRecoveryTests {
    let harness: InboxHarness
    let sink: RecordingSink

    init() throws {
        harness = try InboxHarness()
        sink = try RecordingSink(databasePath: harness.home.database)
    }

    func claimer(sink: (any DropSink)? = nil) throws -> DropClaimer {
        try DropClaimer(
            home: harness.home, database: try Database(path: harness.home.database),
            classifier: try DropClassifier(maxImageBytes: 1 << 30, maxURLs: 100),
            sink: sink ?? self.sink, logger: .silent)
    }

    /// Inserts the `claiming` row the first step of a claim commits for the file at `path`.
    func claimingRow(for path: String, method: DropMover.Method = .rename) throws -> DropLedger.Plan
    {
        var status = stat()
        try #require(lstat(path, &status) == 0)
        let traceID = Identifier.traceID()
        let plan = DropLedger.Plan(
            traceID: traceID, originPath: path,
            workPath: DropMover.workPath(
                work: harness.home.work, traceID: traceID,
                name: (path as NSString).lastPathComponent),
            method: method, sourceIdentity: DropMover.identity(of: status))
        _ = try DropLedger.insertClaiming([plan], in: harness.database)
        return plan
    }

    func scanOnce() throws -> Int {
        try Inbox(home: harness.home, settings: InboxSettings(settleMillis: 0)).scanOnce(sink: sink)
    }

    @Test func claimingWithTheFileStillInTheInbox() throws {
        let path = harness.path("a.png")
        writeFile(path, tinyPNG)
        _ = try claimingRow(for: path)
        #expect(try claimer().recover() == 0)
        #expect(try harness.drops().isEmpty, "the row of a file that never moved is forgotten")
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try scanOnce() == 1)
        let drops = try harness.drops()
        #expect(drops.map(\.origin) == ["file://" + path])
        #expect(drops.map(\.state) == ["claimed"])
        #expect(!FileManager.default.fileExists(atPath: path))
    }

    @Test func claimingWithTheFileAlreadyInWork() throws {
        let path = harness.path("b.png")
        writeFile(path, tinyPNG)
        let plan = try claimingRow(for: path)
        #expect(rename(path, plan.workPath) == 0)
        #expect(try claimer().recover() == 1)
        #expect(try harness.drops().map(\.state) == ["claimed"])
        #expect(try harness.tasks().map(\.source) == ["file://" + path])
        #expect(FileManager.default.fileExists(atPath: plan.workPath))
        #expect(try scanOnce() == 0, "nothing is recorded twice")
        #expect(try harness.tasks().count == 1)
    }

    @Test func copyFinishedButSourceNotYetRemoved() throws {
        let path = harness.path("c.png")
        writeFile(path, tinyPNG)
        let plan = try claimingRow(for: path, method: .copy)
        try #require(try shell("cp '\(path)' '\(plan.workPath)'") == 0)
        #expect(try claimer().recover() == 1)
        #expect(!FileManager.default.fileExists(atPath: path), "the copied source is removed")
        #expect(try scanOnce() == 0)
        #expect(try harness.tasks().count == 1)
    }

    @Test func copyFinishedAndADifferentFileDroppedUnderTheSameName() throws {
        let path = harness.path("d.png")
        writeFile(path, tinyPNG)
        let plan = try claimingRow(for: path, method: .copy)
        try #require(try shell("cp '\(path)' '\(plan.workPath)'") == 0)
        unlink(path)
        writeFile(path, tinyPNG + [0x00])
        #expect(try claimer().recover() == 1)
        #expect(FileManager.default.fileExists(atPath: path), "a different file is left alone")
        #expect(try scanOnce() == 1, "and becomes a drop of its own")
        #expect(try harness.drops().count == 2)
    }

    @Test func copyCutShort() throws {
        let path = harness.path("e.png")
        writeFile(path, tinyPNG)
        let plan = try claimingRow(for: path, method: .copy)
        writeFile(DropMover.temporaryPath(for: plan.workPath), Array(tinyPNG.prefix(10)))
        #expect(try claimer().recover() == 0)
        #expect(
            !FileManager.default.fileExists(atPath: DropMover.temporaryPath(for: plan.workPath)))
        #expect(try harness.drops().isEmpty)
        #expect(try scanOnce() == 1)
    }

    @Test func listRecordedButItsFileNotYetRemoved() throws {
        let path = harness.path("l.txt")
        writeFile(path, "https://e.example/1\n")
        let plan = try claimingRow(for: path)
        #expect(rename(path, plan.workPath) == 0)
        let drop = ClaimedDrop(
            dropID: try #require(try harness.drops().first?.id), traceID: plan.traceID,
            origin: "file://" + path, workPath: plan.workPath,
            kind: .urlList(URLList(urls: ["https://e.example/1"])))
        try sink.record([drop])
        #expect(try harness.drops().map(\.state) == ["listed"])
        #expect(try claimer().recover() == 0)
        #expect(try harness.drops().map(\.state) == ["claimed"])
        #expect(!FileManager.default.fileExists(atPath: plan.workPath))
        #expect(try harness.tasks().count == 1)
    }

    @Test func rejectionRecordedButItsFileNotYetMoved() throws {
        let path = harness.path("r.bin")
        writeFile(path, [0x00, 0xFF, 0x10])
        let plan = try claimingRow(for: path)
        #expect(rename(path, plan.workPath) == 0)
        let drop = ClaimedDrop(
            dropID: try #require(try harness.drops().first?.id), traceID: plan.traceID,
            origin: "file://" + path, workPath: plan.workPath,
            kind: .rejected(DropRejection(code: "unsupported_type", message: "binary")))
        try sink.record([drop])
        #expect(try claimer().recover() == 0)
        let drops = try harness.drops()
        #expect(drops.map(\.state) == ["rejected"])
        #expect(drops.first?.workPath == harness.home.rejected + "/r.bin")
        #expect(harness.files(under: harness.home.rejected) == ["r.bin", "r.bin.error.json"])
        #expect(harness.files(under: harness.home.work).isEmpty)
    }

    @Test func aDropIsNeverMarkedClaimedTwice() throws {
        let path = harness.path("t.png")
        writeFile(path, tinyPNG)
        let plan = try claimingRow(for: path)
        let drop = ClaimedDrop(
            dropID: try #require(try harness.drops().first?.id), traceID: plan.traceID,
            origin: "file://" + path, workPath: plan.workPath, kind: .image(mimeType: "image/png"))
        try sink.record([drop])
        #expect(throws: DatabaseError.self) { try sink.record([drop]) }
        #expect(try harness.tasks().count == 1, "the second transaction rolled back")
    }

    @Test func aFailingSinkLeavesTheDropClaimingUntilRetried() throws {
        let flaky = FailingSink(inner: sink, failures: 2)
        let path = harness.path("f.png")
        writeFile(path, tinyPNG)
        let claimer = try claimer(sink: flaky)
        #expect(claimer.claim([path]) == 0)
        #expect(claimer.needsRecovery)
        #expect(try harness.drops().map(\.state) == ["claiming"])
        #expect(harness.files(under: harness.home.work).count == 1)
        #expect(claimer.recover() == 1)
        #expect(try harness.drops().map(\.state) == ["claimed"])
        #expect(try harness.tasks().count == 1)
    }

    @Test func claimAcrossFileSystems() throws {
        // The inbox is a symbolic link to a folder on tmpfs, so claims copy into work/.
        let elsewhere = "/dev/shm/intake-inbox-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(
            atPath: elsewhere, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: elsewhere) }
        try FileManager.default.removeItem(atPath: harness.home.inbox)
        #expect(symlink(elsewhere, harness.home.inbox) == 0)
        try #require(try shell("cp '\(corpusJPEG)' '\(elsewhere)/far.jpg'") == 0)
        writeFile(elsewhere + "/list.txt", "https://e.example/far\n")
        #expect(try scanOnce() == 2)
        #expect(harness.files(under: elsewhere).isEmpty)
        let image = try #require(try harness.drops().first { $0.kind == "image" })
        #expect(image.origin == "file://" + harness.path("far.jpg"))
        #expect(
            FileManager.default.contentsEqual(
                atPath: try #require(image.workPath), andPath: corpusJPEG))
        #expect(
            try harness.database.scalar("SELECT count(*) FROM drops WHERE claim_method = 'copy'")
                == 2)
    }
}

/// A sink that fails its first `failures` calls, as a busy database would, then records.
final class FailingSink: DropSink {
    let inner: RecordingSink
    private let remaining: Atomic<Int>

    init(inner: RecordingSink, failures: Int) {
        self.inner = inner
        remaining = Atomic(failures)
    }

    func record(_ drops: [ClaimedDrop]) throws {
        if remaining.subtract(1, ordering: .relaxed).newValue >= 0 {
            throw DatabaseError(resultCode: 5, detail: "busy on purpose", function: "test")
        }
        try inner.record(drops)
    }
}
