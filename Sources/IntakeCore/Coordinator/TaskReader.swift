/// Read-only questions about tasks and queues, answered on a connection of the caller's own,
/// so they work whether or not a daemon runs. Each one is served by an index or by the
/// counters the coordinator's triggers keep, so it stays fast with millions of tasks.
public struct TaskReader {
    let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// Tasks by stage and state, from the counters.
    public func counts() throws -> [String: [String: Int]] {
        var counts: [String: [String: Int]] = [:]
        for (stage, state, count) in try database.rows(
            "SELECT stage, state, count FROM task_counts", [],
            { ($0.text(0), $0.text(1), Int($0.int(2))) })
        {
            counts[stage, default: [:]][state] = count
        }
        return counts
    }

    /// Per queue: jobs ready now, running (leased), and waiting to retry.
    public func queueDepths(now: Int64 = Clock.nowMillis()) throws -> [String: [String: Int]] {
        var depths: [String: [String: Int]] = [:]
        for stage in TaskStage.queued {
            depths[stage.rawValue] = ["ready": 0, "running": 0, "retrying": 0]
        }
        let waiting = try database.rows(
            "SELECT queue, state = 'retrying' OR due_at > ?1, count(*) FROM jobs "
                + "WHERE state IN ('ready', 'retrying') GROUP BY 1, 2", [.integer(now)]
        ) { ($0.text(0), $0.int(1) != 0, Int($0.int(2))) }
        for (queue, retrying, count) in waiting {
            depths[queue, default: [:]][retrying ? "retrying" : "ready", default: 0] += count
        }
        let leased = try database.rows(
            "SELECT queue, count(*) FROM jobs WHERE state = 'leased' GROUP BY 1"
        ) { ($0.text(0), Int($0.int(1))) }
        for (queue, count) in leased {
            depths[queue, default: [:]]["running"] = count
        }
        return depths
    }

    /// Tasks that ended (`completed` or `failed`) since `since` (Unix ms).
    public func finished(since: Int64) throws -> (completed: Int, failed: Int) {
        let rows = try database.rows(
            "SELECT state, count(*) FROM tasks WHERE finished_at >= ?1 GROUP BY state",
            [.integer(since)]
        ) { ($0.text(0), Int($0.int(1))) }
        let counts = Dictionary(rows, uniquingKeysWith: +)
        return (counts["completed"] ?? 0, counts["failed"] ?? 0)
    }

    /// The most recent failures, newest first.
    public func recentFailures(limit: Int) throws -> [TaskSummary] {
        try database.rows(
            TaskReader.select + " WHERE state = 'failed' ORDER BY updated_at DESC LIMIT ?1",
            [.integer(Int64(limit))], TaskReader.summary)
    }

    /// A filtered listing, newest first.
    public func tasks(
        state: String?, stage: String?, trace: String?, limit: Int
    ) throws -> [TaskSummary] {
        var clauses: [String] = []
        var values: [DatabaseValue] = []
        if let state {
            values.append(.text(state))
            clauses.append("state = ?\(values.count)")
        }
        if let stage {
            values.append(.text(stage))
            clauses.append("stage = ?\(values.count)")
        }
        if let trace {
            values.append(.text(trace))
            clauses.append("trace_id = ?\(values.count)")
        }
        values.append(.integer(Int64(limit)))
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        return try database.rows(
            TaskReader.select + filter + " ORDER BY id DESC LIMIT ?\(values.count)", values,
            TaskReader.summary)
    }

    /// The task whose id is `id`, or starts with `id` when that prefix is unique.
    public func task(matching id: String) throws -> TaskSummary? {
        if let exact = try database.row(
            TaskReader.select + " WHERE id = ?1", [.text(id)], TaskReader.summary)
        {
            return exact
        }
        guard id.count >= 8 else { return nil }
        let matches = try database.rows(
            TaskReader.select + " WHERE id >= ?1 AND id < ?1 || '~' LIMIT 2", [.text(id)],
            TaskReader.summary)
        return matches.count == 1 ? matches[0] : nil
    }

    /// The newest task that took in the dropped file at `workPath` in `work/`, if any.
    public func task(workPath: String) throws -> TaskSummary? {
        try database.row(
            TaskReader.select + " WHERE work_path = ?1 ORDER BY created_at DESC, id DESC LIMIT 1",
            [.text(workPath)], TaskReader.summary)
    }

    /// One entry of a task's timeline.
    public struct Transition: Sendable, Encodable {
        public let at: Int64
        public let stage: String
        public let state: String
        public let detail: String
    }

    /// Every transition of a task, oldest first: its stage timeline.
    public func transitions(of id: String) throws -> [Transition] {
        try database.rows(
            "SELECT at, to_stage, to_state, coalesce(detail, '') FROM transitions "
                + "WHERE task_id = ?1 ORDER BY id", [.text(id)]
        ) { Transition(at: $0.int(0), stage: $0.text(1), state: $0.text(2), detail: $0.text(3)) }
    }

    /// Every event of a task, in publication order, as the JSON envelopes they are.
    public func events(of id: String) throws -> [JSONValue] {
        try database.rows(
            "SELECT body FROM outbox WHERE task_id = ?1 ORDER BY seq", [.text(id)]
        ) { row in try JSONValue.parse(row.text(0)) }
    }

    static let select = """
        SELECT id, trace_id, source, stage, state, attempts, error_code, error_message, sha256,
            store_path, duplicate_of, created_at, updated_at, finished_at FROM tasks
        """

    static func summary(_ row: Row) -> TaskSummary {
        let code = row.optionalText(6)
        return TaskSummary(
            id: row.text(0), traceId: row.text(1), source: row.text(2), stage: row.text(3),
            state: row.text(4), attempts: Int(row.int(5)),
            error: code.map { .init(code: $0, message: row.optionalText(7) ?? "") },
            sha256: row.optionalText(8), storePath: row.optionalText(9),
            duplicateOf: row.optionalText(10), createdAt: row.int(11), updatedAt: row.int(12),
            finishedAt: row.optionalInt(13))
    }
}
