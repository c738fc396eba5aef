import Foundation
import IntakeCore
import TestSupport

/// A temporary home with a migrated database and a spool, and a helper that commits outbox
/// rows the way the coordinator does: one envelope per row, formed in full.
final class EventFixture {
    let folder = TemporaryFolder("intake-events")
    let home: Home
    let spool: Spool
    let database: Database

    init() throws {
        home = Home(root: folder.path)
        try home.createLayout(folderMode: 0o700)
        spool = Spool(root: home.spool)
        database = try Database(path: home.database)
        try Schema.apply(to: database)
    }

    /// Commits one event of `type` to the outbox and returns its envelope.
    @discardableResult
    func append(
        _ type: String, taskID: String? = Identifier.uuidV7(), payload: [String: String] = [:]
    ) throws -> EventEnvelope {
        let envelope = try EventEnvelope(
            eventType: type, taskID: taskID, traceID: Identifier.traceID(),
            source: "intake/test", payload: payload)
        _ = try database.transaction { try Outbox.append(envelope, to: database) }
        return envelope
    }

    /// The `.json` names in a folder, sorted.
    func names(in folder: String) -> [String] {
        let all = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return all.filter { $0.hasSuffix(".json") }.sorted()
    }

    /// The parsed JSON object of a file.
    func object(at path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// Number of outbox rows not yet published.
    func unpublishedCount() throws -> Int64 {
        try database.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL") ?? -1
    }
}

/// Waits until `condition` holds, checking every 10 ms, for at most `seconds`.
func eventually(_ seconds: Double = 10, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}
