import Foundation
import Synchronization
import TestSupport
import Testing

@testable import IntakeCore

/// The start-up sweep of `work/`: what a run killed after committing an outcome left there.
@Suite("Work folder sweep")
struct WorkFolderSweepTests {
    /// A home with a migrated database, in which drops of local files are recorded.
    final class Fixture {
        let folder = TemporaryFolder("intake-sweep")
        let home: Home
        let database: Database
        let settings = QueueSettings(backoffBaseMillis: 1_000)

        init() throws {
            home = Home(root: folder.path)
            try home.createLayout(folderMode: 0o700)
            database = try Database(path: home.database)
            try Schema.apply(to: database)
        }

        var coordinator: Coordinator { Coordinator(database: database, settings: settings) }

        /// Records a dropped image `name` whose file is in `work/`; with `failure`, its task
        /// fails at once. Returns the task's id and the file's path in `work/`.
        func drop(_ name: String, failure: StageFailure? = nil) throws -> (String, String) {
            let traceID = Identifier.traceID()
            let workPath = home.work + "/" + traceID + ".jpg"
            try Data("image bytes of \(name)".utf8).write(to: URL(fileURLWithPath: workPath))
            let recorded = try database.transaction {
                try coordinator.record(
                    NewDrop(
                        traceID: traceID, origin: "file:///drops/" + name, kind: "image",
                        workPath: workPath,
                        tasks: [.init(source: "file:///drops/" + name, failure: failure)]))
            }
            return (try #require(recorded.taskIDs.first), workPath)
        }

        /// Runs `id`'s task through `stages` (default: every stage).
        func advance(_ id: String, through stages: [TaskStage] = TaskStage.queued) throws {
            for stage in stages {
                let job = try #require(
                    try database.transaction {
                        try coordinator.claim(stage, owner: "w", limit: 10)
                    }.first { $0.taskID == id })
                let applied = try database.transaction {
                    try coordinator.finish(job, QueueFixture.success(stage))
                }
                #expect(applied)
            }
        }

        func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
    }

    @Test("files of tasks past download are removed, failed ones rejected, the rest stay")
    func sweep() throws {
        let fixture = try Fixture()
        let home = fixture.home
        let (done, donePath) = try fixture.drop("done.jpg")
        try fixture.advance(done)
        let (onward, onwardPath) = try fixture.drop("onward.jpg")
        try fixture.advance(onward, through: [.download])
        let (_, failedPath) = try fixture.drop(
            "broken.jpg", failure: .permanent("unsupported_type", "broken.jpg is not an image"))
        let (open, openPath) = try fixture.drop("open.jpg")
        let stranger = home.work + "/by-hand.jpg"
        for path in [
            stranger, home.work + "/.ingest-" + done, home.work + "/.ingest-" + open,
        ] {
            #expect(FileManager.default.createFile(atPath: path, contents: Data([1])))
        }

        let summary = try WorkFolderSweep(home: home, logger: Logger(level: .error)).run(
            database: fixture.database)

        #expect(summary == .init(removed: 3, rejected: 1))
        #expect(!fixture.exists(donePath))
        #expect(!fixture.exists(onwardPath), "its task is at the metadata stage")
        #expect(!fixture.exists(home.work + "/.ingest-" + done))
        #expect(!fixture.exists(failedPath))
        #expect(fixture.exists(home.rejected + "/broken.jpg"))
        let report = try JSONDecoder().decode(
            DropMover.ErrorReport.self,
            from: Data(contentsOf: URL(fileURLWithPath: home.rejected + "/broken.jpg.error.json")))
        #expect(report.code == "unsupported_type")
        #expect(report.source == "file:///drops/broken.jpg")
        #expect(fixture.exists(openPath))
        #expect(fixture.exists(home.work + "/.ingest-" + open))
        #expect(fixture.exists(stranger))

        let again = try WorkFolderSweep(home: home, logger: Logger(level: .error)).run(
            database: fixture.database)
        #expect(again == .init())
    }

    /// What the store reports as abandoned, collected across threads.
    final class Collected: Sendable {
        let paths = Mutex<[String]>([])
    }

    @Test("a task given up while the daemon runs has its work/ file rejected at once")
    func givenUpAtRuntime() async throws {
        let fixture = try Fixture()
        let home = fixture.home
        let (id, workPath) = try fixture.drop("stuck.jpg")
        let collected = Collected()
        let store = try SQLiteTaskStore(
            path: home.database, settings: QueueSettings(maxAttempts: [:], leaseMillis: 1),
            abandoned: { paths in collected.paths.withLock { $0 += paths } })
        let stuck = try #require(try await store.claim(.download, owner: "stuck", limit: 1).first)
        #expect(
            FileManager.default.createFile(
                atPath: home.work + "/.ingest-" + id, contents: Data([1])))
        // The lease of 1 ms has run out once the clock has moved past it.
        let claimedAt = Clock.nowMillis()
        while Clock.nowMillis() <= claimedAt + 1 { try await Task.sleep(for: .milliseconds(1)) }

        #expect(try await store.expireLeases() == 1)
        #expect(collected.paths.withLock { $0 } == [workPath])
        #expect(
            try TaskReader(database: fixture.database).task(matching: id)?.error?.code
                == "interrupted")
        // The stuck worker's late outcome is dropped, so it would not have cleaned up.
        #expect(!(try await store.finish(stuck, QueueFixture.success(.download))))

        let summary = WorkFolderSweep(home: home, logger: .silent).settleAbandoned(
            collected.paths.withLock { $0 }, database: fixture.database)
        #expect(summary == .init(removed: 1, rejected: 1))
        #expect(!fixture.exists(workPath))
        #expect(!fixture.exists(home.work + "/.ingest-" + id))
        let report = try JSONDecoder().decode(
            DropMover.ErrorReport.self,
            from: Data(contentsOf: URL(fileURLWithPath: home.rejected + "/stuck.jpg.error.json")))
        #expect(report.code == "interrupted")
        #expect(fixture.exists(home.rejected + "/stuck.jpg"))
    }
}
