import Foundation

/// The outbox table: events committed in the same transaction as the change they report,
/// waiting to be published. The coordinator appends; the `OutboxRelay` drains.
public enum Outbox {
    /// Appends `envelope`; call it inside the transaction of the change it reports.
    @discardableResult
    public static func append(_ envelope: EventEnvelope, to database: Database) throws -> Int64 {
        try database.run(
            """
            INSERT INTO outbox (event_id, event_type, task_id, trace_id, created_at, body)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """,
            [
                .text(envelope.eventID), .text(envelope.eventType), .optional(envelope.taskID),
                .text(envelope.traceID), .integer(envelope.timestamp), .text(envelope.json),
            ])
        return database.lastInsertRowID
    }

    /// The oldest unpublished events, in publication order.
    public static func unpublished(in database: Database, limit: Int) throws -> [OutboxEvent] {
        try database.rows(
            """
            SELECT seq, event_id, event_type, task_id, trace_id, created_at, body, published_at
            FROM outbox WHERE published_at IS NULL ORDER BY seq LIMIT ?1
            """, [.integer(Int64(limit))], event(from:))
    }

    /// Marks events published, in one transaction.
    public static func markPublished(
        _ seqs: [Int64], in database: Database, at millis: Int64 = Clock.nowMillis()
    ) throws {
        try database.transaction {
            for seq in seqs {
                try database.run(
                    "UPDATE outbox SET published_at = ?1 WHERE seq = ?2",
                    [.integer(millis), .integer(seq)])
            }
        }
    }

    /// What `intake events` asks for; nil fields do not filter.
    public struct Query: Sendable {
        public var types: [EventPattern] = []
        public var taskID: String?
        public var traceID: String?
        public var sinceMillis: Int64?
        /// Only events after this seq (for `--follow`).
        public var afterSeq: Int64?
        public var limit = 100

        public init() {}
    }

    /// Events matching `query`: the newest `limit` of them, returned oldest first. Type
    /// patterns are applied in Swift because SQLite's GLOB would also treat `?` and `[`
    /// specially, and patterns allow neither.
    public static func events(in database: Database, matching query: Query) throws
        -> [OutboxEvent]
    {
        var conditions: [String] = []
        var values: [DatabaseValue] = []
        if let taskID = query.taskID {
            values.append(.text(taskID))
            conditions.append("task_id = ?\(values.count)")
        }
        if let traceID = query.traceID {
            values.append(.text(traceID))
            conditions.append("trace_id = ?\(values.count)")
        }
        if let since = query.sinceMillis {
            values.append(.integer(since))
            conditions.append("created_at >= ?\(values.count)")
        }
        if let after = query.afterSeq {
            values.append(.integer(after))
            conditions.append("seq > ?\(values.count)")
        }
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        var found: [OutboxEvent] = []
        var before = Int64.max
        // Pages newest first until `limit` matching events are found, so that a type filter
        // does not need SQL of its own.
        while found.count < query.limit {
            let page = try database.rows(
                """
                SELECT seq, event_id, event_type, task_id, trace_id, created_at, body, published_at
                FROM outbox \(whereClause.isEmpty ? "WHERE" : whereClause + " AND") seq < ?\(values.count + 1)
                ORDER BY seq DESC LIMIT 500
                """, values + [.integer(before)], event(from:))
            guard let last = page.last else { break }
            before = last.seq
            for event in page
            where query.types.isEmpty
                || query.types.contains(where: { $0.matches(event.eventType) })
            {
                found.append(event)
                if found.count == query.limit { break }
            }
        }
        return found.reversed()
    }

    private static func event(from row: Row) -> OutboxEvent {
        OutboxEvent(
            seq: row.int(0), eventID: row.text(1), eventType: row.text(2),
            taskID: row.optionalText(3), traceID: row.optionalText(4), createdAt: row.int(5),
            body: row.text(6), publishedAt: row.optionalInt(7))
    }
}
