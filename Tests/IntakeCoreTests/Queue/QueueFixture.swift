import Foundation
import TestSupport
import Testing

@testable import IntakeCore

/// A migrated database in a temporary folder, with helpers to read what the coordinator wrote.
final class QueueFixture {
    let folder = TemporaryFolder("intake-queue")
    let database: Database
    var settings: QueueSettings

    init(settings: QueueSettings = QueueSettings(backoffBaseMillis: 1_000)) throws {
        database = try Database(path: folder.file("intake.db"))
        try Schema.apply(to: database)
        self.settings = settings
    }

    var coordinator: Coordinator { Coordinator(database: database, settings: settings) }

    /// Records one drop of `sources` in its own transaction.
    @discardableResult
    func drop(_ sources: [String], priority: Int = 0, now: Int64 = 1_000) throws -> RecordedDrop {
        try database.transaction {
            try coordinator.record(
                NewDrop(
                    origin: "test", kind: "url_list", workPath: nil,
                    tasks: sources.map { NewDrop.Task(source: $0, priority: priority) }),
                now: now)
        }
    }

    func claim(
        _ stage: TaskStage, owner: String = "w", limit: Int = 10, now: Int64 = 2_000
    ) throws -> [ClaimedJob] {
        try database.transaction {
            try coordinator.claim(stage, owner: owner, limit: limit, now: now)
        }
    }

    @discardableResult
    func finish(_ job: ClaimedJob, _ outcome: StageOutcome, now: Int64 = 3_000) throws -> Bool {
        try database.transaction { try coordinator.finish(job, outcome, now: now) }
    }

    func task(_ id: String) throws -> (stage: String, state: String, attempts: Int64) {
        try #require(
            database.row("SELECT stage, state, attempts FROM tasks WHERE id = ?1", [.text(id)]) {
                ($0.text(0), $0.text(1), $0.int(2))
            })
    }

    /// An outbox event as the tests read it back.
    struct Event: Decodable {
        let eventId: String
        let eventType: String
        let taskId: String?
        let traceId: String
        let timestamp: Int64
        let source: String
        let payload: JSONValue
    }

    /// The outbox's events for `task`, in order, parsed.
    func events(of task: String) throws -> [Event] {
        try database.rows("SELECT body FROM outbox WHERE task_id = ?1 ORDER BY seq", [.text(task)])
        { row in
            try JSONDecoder().decode(Event.self, from: Data(row.text(0).utf8))
        }
    }

    /// A successful stage. The download stage reports `sha256` (fresh content by default, so
    /// the task is no duplicate of another).
    static func success(_ stage: TaskStage, sha256: String? = nil) -> StageOutcome {
        .succeeded(
            StageResult(
                payload: ["stage": .string(stage.rawValue)],
                sha256: stage == .download ? sha256 ?? Identifier.uuidV7() : nil))
    }
}
