import Foundation

/// Builds `MetricsSnapshot`s for the daemon from a read-only connection to the database, the
/// spool's subscriber folders and the daemon's in-process counters.
///
/// Each query is cheap however large the database grows: task counts come from the
/// trigger-kept `task_counts` table, queue depths and the outbox backlog from partial indexes,
/// and stage durations from the transitions added since the last call (a cursor on
/// `transitions.id`, at most `batchLimit` rows per call). A run is the transition into
/// `running` at a stage and the task's next transition, which leaves `running`: into the next
/// stage (`succeeded`), `retrying` (`retried`), `failed`, or back to `queued` at the same
/// stage (`released`, at shutdown or lease recovery).
///
/// Not `Sendable`: like its `Database`, one thread or actor owns it. Open it after the
/// daemon applied the schema.
///
/// Known limitation: the first call starts `lookBack` transitions before the newest, only to
/// find runs already in progress; runs that ended before the daemon started are not counted,
/// because the histograms describe this run of the daemon, as Prometheus expects of a
/// process's histograms after a restart.
public final class MetricsCollector {
    /// Transitions read back at the first call to find runs in progress.
    public static let lookBack: Int64 = 10_000
    /// Transitions read per call at most; the rest wait for the next call.
    public static let batchLimit = 50_000
    /// Runs in progress remembered at most; past it the oldest are forgotten.
    public static let runningLimit = 100_000
    /// The outcomes of a run, in the order they are reported.
    public static let outcomes = ["succeeded", "retried", "failed", "released"]

    private struct Run {
        let stage: String
        let startedAt: Int64
        let transition: Int64
    }

    private struct DurationKey: Hashable {
        let stage: String
        let outcome: String
    }

    public let home: Home
    private let database: Database
    private let downloaded: MetricCounter
    private let gate: PauseGate?
    private var cursor: Int64?
    private var running: [String: Run] = [:]
    private var durations: [DurationKey: Histogram] = [:]

    /// Opens `home`'s database read-only. `downloaded` is the download stage's byte counter,
    /// `gate` the daemon's pause gate.
    public init(
        home: Home, downloaded: MetricCounter = MetricCounter(), gate: PauseGate? = nil
    ) throws(DatabaseError) {
        self.home = home
        self.database = try Database(path: home.database, readOnly: true, create: false)
        self.downloaded = downloaded
        self.gate = gate
        for stage in TaskStage.queued {
            for outcome in MetricsCollector.outcomes {
                durations[DurationKey(stage: stage.rawValue, outcome: outcome)] = Histogram(
                    upperBounds: Histogram.stageSeconds)
            }
        }
    }

    /// Reads everything the snapshot holds. Database figures come from one read transaction,
    /// so they agree with each other.
    public func collect() throws -> MetricsSnapshot {
        var snapshot = MetricsSnapshot()
        try database.execute("BEGIN")
        do {
            snapshot.tasks = try taskCounts()
            snapshot.queues = try queueDepths()
            snapshot.eventsUnpublished =
                try database.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL") ?? 0
            // Outbox rows are never deleted before they are published and AUTOINCREMENT never
            // reuses a seq, so the highest seq counts every event ever committed, without
            // reading the table.
            let written = try database.scalar("SELECT max(seq) FROM outbox") ?? 0
            snapshot.eventsPublished = max(written - snapshot.eventsUnpublished, 0)
            try readTransitions()
            try database.execute("COMMIT")
        } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
        snapshot.stageDurations = stageDurations()
        snapshot.downloadedBytes = downloaded.value
        snapshot.subscribers = subscribers()
        snapshot.paused = gate?.isPaused ?? false
        snapshot.diskFreeBytes = (try? DiskSpace.freeBytes(at: home.root)).map {
            Int64(clamping: $0)
        }
        return snapshot
    }

    private func taskCounts() throws -> [MetricsSnapshot.TaskCount] {
        let rows = try database.rows("SELECT stage, state, count FROM task_counts") { row in
            MetricsSnapshot.TaskCount(stage: row.text(0), state: row.text(1), count: row.int(2))
        }
        let stages = TaskStage.allCases.map(\.rawValue)
        let states = TaskState.allCases.map(\.rawValue)
        return rows.sorted { left, right in
            let leftKey = (stages.firstIndex(of: left.stage) ?? stages.count, left.stage)
            let rightKey = (stages.firstIndex(of: right.stage) ?? stages.count, right.stage)
            if leftKey != rightKey { return leftKey < rightKey }
            return (states.firstIndex(of: left.state) ?? states.count, left.state)
                < (states.firstIndex(of: right.state) ?? states.count, right.state)
        }
    }

    /// Two queries, so that each is served by its partial index (`jobs_ready`, `jobs_leased`)
    /// and never visits finished jobs.
    private func queueDepths() throws -> [MetricsSnapshot.QueueDepth] {
        var counts: [String: [String: Int64]] = [:]
        let waiting = try database.rows(
            "SELECT queue, state, count(*) FROM jobs WHERE state IN ('ready', 'retrying') "
                + "GROUP BY queue, state"
        ) { ($0.text(0), $0.text(1), $0.int(2)) }
        let leased = try database.rows(
            "SELECT queue, 'leased', count(*) FROM jobs WHERE state = 'leased' GROUP BY queue"
        ) { ($0.text(0), $0.text(1), $0.int(2)) }
        for (queue, state, count) in waiting + leased {
            counts[queue, default: [:]][state] = count
        }
        let known = TaskStage.queued.map(\.rawValue)
        let queues = known + counts.keys.filter { !known.contains($0) }.sorted()
        return queues.flatMap { queue in
            ["ready", "retrying", "leased"].map { state in
                MetricsSnapshot.QueueDepth(
                    queue: queue, state: state, count: counts[queue]?[state] ?? 0)
            }
        }
    }

    private func readTransitions() throws {
        if cursor == nil {
            let newest = try database.scalar("SELECT max(id) FROM transitions") ?? 0
            try read(
                after: max(newest - MetricsCollector.lookBack, 0), through: newest, measure: false)
            cursor = newest
        }
        guard let start = cursor else { return }
        try read(after: start, through: nil, measure: true)
    }

    /// Pairs the transitions after id `start` (up to `end`, at most `batchLimit` of them) into
    /// runs; with `measure` false it only learns which runs are still in progress.
    private func read(after start: Int64, through end: Int64?, measure: Bool) throws {
        let rows = try database.rows(
            "SELECT id, task_id, to_stage, to_state, at FROM transitions "
                + "WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3",
            [
                .integer(start), .integer(end ?? Int64.max),
                .integer(Int64(MetricsCollector.batchLimit)),
            ]
        ) { row in
            (
                id: row.int(0), task: row.text(1), stage: row.text(2), state: row.text(3),
                at: row.int(4)
            )
        }
        for row in rows {
            if row.state == "running" {
                running[row.task] = Run(stage: row.stage, startedAt: row.at, transition: row.id)
                continue
            }
            guard let run = running.removeValue(forKey: row.task), measure else { continue }
            let outcome: String
            switch row.state {
            case "failed": outcome = "failed"
            case "retrying": outcome = "retried"
            case _ where row.stage != run.stage: outcome = "succeeded"
            default: outcome = "released"
            }
            let key = DurationKey(stage: run.stage, outcome: outcome)
            durations[key, default: Histogram(upperBounds: Histogram.stageSeconds)].observe(
                Double(max(row.at - run.startedAt, 0)) / 1_000)
        }
        if end == nil, let last = rows.last {
            cursor = last.id
        }
        if running.count > MetricsCollector.runningLimit {
            // A run whose end was never seen (its task was deleted, say) must not pile up.
            let oldest = running.sorted { $0.value.transition < $1.value.transition }
                .prefix(running.count - MetricsCollector.runningLimit / 2)
            for (task, _) in oldest { running.removeValue(forKey: task) }
        }
    }

    private func stageDurations() -> [MetricsSnapshot.StageDuration] {
        let stages = TaskStage.allCases.map(\.rawValue)
        return durations.sorted { left, right in
            let leftStage = stages.firstIndex(of: left.key.stage) ?? stages.count
            let rightStage = stages.firstIndex(of: right.key.stage) ?? stages.count
            if leftStage != rightStage { return leftStage < rightStage }
            if left.key.stage != right.key.stage { return left.key.stage < right.key.stage }
            let outcomes = MetricsCollector.outcomes
            return (outcomes.firstIndex(of: left.key.outcome) ?? outcomes.count)
                < (outcomes.firstIndex(of: right.key.outcome) ?? outcomes.count)
        }.map {
            MetricsSnapshot.StageDuration(
                stage: $0.key.stage, outcome: $0.key.outcome, seconds: $0.value)
        }
    }

    /// Every folder under `spool/subscribers/`, with the number of event files in its `new/`
    /// and the plugin runner's `stats.json` when there is one.
    private func subscribers() -> [MetricsSnapshot.SubscriberCounts] {
        let root = home.spool + "/subscribers"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().compactMap { name in
            let folder = root + "/" + name
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder),
                isFolder.boolValue
            else { return nil }
            let waiting =
                (try? FileManager.default.contentsOfDirectory(atPath: folder + "/new"))
                ?? []
            let stats = FileManager.default.contents(atPath: folder + "/stats.json").flatMap {
                try? JSONDecoder().decode(PluginStats.self, from: $0)
            }
            return MetricsSnapshot.SubscriberCounts(
                name: name, backlog: Int64(waiting.filter { !$0.hasPrefix(".") }.count),
                plugin: stats)
        }
    }
}
