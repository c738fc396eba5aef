import Foundation

/// The task queues and the coordinator on SQLite: one writer connection with group commit,
/// and a wake signal per queue that fires when a commit gives that queue work.
public final class SQLiteTaskStore: TaskStore {
    public let path: String
    public let settings: QueueSettings
    private let writer: GroupCommitWriter
    private let signals: [TaskStage: WakeSignal]
    private let abandoned: @Sendable ([String]) -> Void

    /// Opens (creating and migrating) the database at `path`. `afterCommit` runs after each
    /// committed group, for example to wake the event publisher. `abandoned` gets the `work/`
    /// files of tasks that `expireLeases` gave up, once that is committed (the daemon moves
    /// them to `rejected/`).
    public init(
        path: String, settings: QueueSettings, afterCommit: @escaping @Sendable () -> Void = {},
        abandoned: @escaping @Sendable ([String]) -> Void = { _ in }
    ) throws {
        let database = try Database(path: path)
        try Schema.apply(to: database)
        self.path = path
        self.settings = settings
        self.writer = GroupCommitWriter(database: database, afterCommit: afterCommit)
        self.abandoned = abandoned
        var signals: [TaskStage: WakeSignal] = [:]
        for stage in TaskStage.queued {
            signals[stage] = WakeSignal()
        }
        self.signals = signals
    }

    /// Group-commit statistics of the writer connection.
    public var writerStatistics: (transactions: Int, operations: Int) { writer.statistics }

    /// Puts back every job a previous run left leased; call once at start, holding the home's
    /// lock (no other process can be working on them). Returns how many went back.
    @discardableResult
    public func recoverAtStart() throws -> Int {
        let settings = self.settings
        let count = try writer.exclusive { database in
            try database.transaction {
                try Coordinator(database: database, settings: settings).recoverLeases(
                    everyLease: true
                ).handled
            }
        }
        wakeAll()
        return count
    }

    /// Wakes every queue's dispatcher (another process changed the queues).
    public func wakeAll() {
        for signal in signals.values {
            signal.signal()
        }
    }

    public func signal(for stage: TaskStage) -> WakeSignal {
        guard let signal = signals[stage] else {
            preconditionFailure("no queue for stage \(stage.rawValue)")
        }
        return signal
    }

    public func record(_ drop: NewDrop) async throws -> RecordedDrop {
        let settings = self.settings
        let recorded = try await writer.write { database in
            try Coordinator(database: database, settings: settings).record(drop)
        }
        signal(for: .download).signal()
        return recorded
    }

    /// Creates the tasks of drops the inbox claimed and marks the drops claimed, in one
    /// transaction; blocks the calling thread (the inbox's) until it is committed.
    public func recordClaimed(_ drops: [(NewDrop, ClaimedDrop)]) throws {
        let settings = self.settings
        try writer.writeAndWait { database in
            let coordinator = Coordinator(database: database, settings: settings)
            for (drop, claimed) in drops {
                _ = try coordinator.addTasks(of: drop, dropID: claimed.dropID)
                try DropLedger.markClaimed(claimed, in: database)
            }
        }
        signal(for: .download).signal()
    }

    public func claim(_ stage: TaskStage, owner: String, limit: Int) async throws -> [ClaimedJob] {
        let settings = self.settings
        return try await writer.write { database in
            try Coordinator(database: database, settings: settings).claim(
                stage, owner: owner, limit: limit)
        }
    }

    @discardableResult
    public func finish(_ job: ClaimedJob, _ outcome: StageOutcome) async throws -> Bool {
        let settings = self.settings
        let applied = try await writer.write { database in
            try Coordinator(database: database, settings: settings).finish(job, outcome)
        }
        switch outcome {
        case .succeeded(let result) where !result.finishesTask && job.stage.next != .done:
            signal(for: job.stage.next).signal()
        case .failed(let failure) where failure.transient:
            signal(for: job.stage).signal()
        default:
            break
        }
        return applied
    }

    public func release(_ job: ClaimedJob) async throws {
        let settings = self.settings
        try await writer.write { database in
            _ = try Coordinator(database: database, settings: settings).release(job)
        }
        signal(for: job.stage).signal()
    }

    @discardableResult
    public func expireLeases() async throws -> Int {
        let settings = self.settings
        let recovery = try await writer.write { database in
            try Coordinator(database: database, settings: settings).recoverLeases(
                everyLease: false)
        }
        if !recovery.abandonedWorkPaths.isEmpty { abandoned(recovery.abandonedWorkPaths) }
        if recovery.handled > 0 { wakeAll() }
        return recovery.handled
    }

    public func nextWakeup(_ stage: TaskStage) async throws -> Int64? {
        let settings = self.settings
        return try await writer.write { database in
            try Coordinator(database: database, settings: settings).nextWakeup(stage)
        }
    }
}
