import Foundation

/// The coordinator: the only code that changes a task's main-flow state.
///
/// Every function runs inside a transaction its caller holds, and does all of one step there:
/// the task's new state, the job rows, the transition history (which is also the stage
/// timeline) and the events in the outbox. So an event exists if and only if the change it
/// reports was committed. Illegal transitions (by `StateMachine`) throw `CoordinatorError`,
/// and the caller's transaction rolls the step back.
///
/// Each step is a handful of statements on primary keys and partial indexes; the counters
/// behind `intake status` are kept by triggers in the same transaction.
public struct Coordinator {
    let database: Database
    let settings: QueueSettings

    public init(database: Database, settings: QueueSettings) {
        self.database = database
        self.settings = settings
    }

    // MARK: Drops

    /// Records a drop and its tasks: each task gets its first job in the `download` queue, or,
    /// when it carries a failure, fails at once with its `task.failed` event.
    public func record(_ drop: NewDrop, now: Int64 = Clock.nowMillis()) throws -> RecordedDrop {
        try database.run(
            "INSERT INTO drops (trace_id, origin, kind, work_path, created_at) "
                + "VALUES (?1, ?2, ?3, ?4, ?5)",
            [
                .text(drop.traceID), .text(drop.origin), .text(drop.kind),
                .optional(drop.workPath), .integer(now),
            ])
        return try addTasks(
            of: drop, dropID: database.lastInsertRowID, now: now)
    }

    /// Creates the tasks of a drop whose row already exists (the inbox records its drops while
    /// claiming them).
    public func addTasks(
        of drop: NewDrop, dropID: Int64, now: Int64 = Clock.nowMillis()
    ) throws -> RecordedDrop {
        let taskWorkPath = drop.kind == "image" ? drop.workPath : nil
        var taskIDs: [String] = []
        for task in drop.tasks {
            let id = Identifier.uuidV7(millis: now)
            taskIDs.append(id)
            try database.run(
                "INSERT INTO tasks (id, drop_id, trace_id, source, work_path, stage, state, "
                    + "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, 'download', "
                    + "'queued', ?6, ?6)",
                [
                    .text(id), .integer(dropID), .text(drop.traceID), .text(task.source),
                    .optional(taskWorkPath), .integer(now),
                ])
            try recordTransition(
                task: id, from: nil, to: (.download, .queued), detail: "recorded", now: now)
            if let failure = task.failure {
                let row = TaskRow(
                    id: id, stage: .download, state: .queued, attempts: 0,
                    traceID: drop.traceID, source: task.source, workPath: taskWorkPath,
                    sha256: nil, storePath: nil, duplicateOf: nil, createdAt: now)
                try failTask(row, attempts: 0, failure: failure, now: now)
            } else {
                try insertJob(task: id, stage: .download, priority: task.priority, now: now)
            }
        }
        return RecordedDrop(dropID: dropID, traceID: drop.traceID, taskIDs: taskIDs)
    }

    // MARK: Claims

    /// Claims up to `limit` due jobs of `stage` for `owner`, best first: higher priority, then
    /// earlier due time, then earlier arrival.
    public func claim(
        _ stage: TaskStage, owner: String, limit: Int, now: Int64 = Clock.nowMillis()
    ) throws -> [ClaimedJob] {
        let expires = now + settings.leaseMillis
        let claimed = try database.rows(
            Coordinator.claimSQL,
            [
                .text(owner), .integer(expires), .text(stage.rawValue), .integer(now),
                .integer(Int64(limit)),
            ]
        ) { row in
            (
                id: row.int(0), task: row.text(1), attempts: Int(row.int(2)),
                priority: Int(row.int(3))
            )
        }
        var jobs: [ClaimedJob] = []
        for job in claimed.sorted(by: { $0.id < $1.id }) {
            let task = try loadTask(job.task)
            let next = try transition(task, .claimed, expectedStage: stage)
            try updateTask(task, to: next, attempts: job.attempts, now: now)
            try recordTransition(
                task: task.id, from: (task.stage, task.state), to: next,
                detail: "attempt \(job.attempts) by \(owner)", now: now)
            jobs.append(
                ClaimedJob(
                    jobID: job.id, taskID: task.id, traceID: task.traceID, stage: stage,
                    attempt: job.attempts, priority: job.priority, source: task.source,
                    workPath: task.workPath, sha256: task.sha256, storePath: task.storePath,
                    leaseOwner: owner, leaseExpiresAt: expires))
        }
        return jobs
    }

    /// The claim: the inner SELECT walks the partial index `jobs_ready` in its own order, so
    /// there is no temporary sort and finished jobs are never visited; the UPDATE leases what
    /// it found. https://sqlite.org/lang_returning.html
    static let claimSQL = """
        UPDATE jobs SET state = 'leased', lease_owner = ?1, lease_expires_at = ?2,
            attempts = attempts + 1
        WHERE id IN (
            SELECT id FROM jobs
            WHERE queue = ?3 AND state IN ('ready', 'retrying') AND due_at <= ?4
            ORDER BY priority DESC, due_at, id
            LIMIT ?5)
        RETURNING id, task_id, attempts, priority
        """

    // MARK: Finishing

    /// Applies a worker's outcome. Returns false, changing nothing, when the job is no longer
    /// leased by `job.leaseOwner` (its lease ran out and another worker took it over): each
    /// run of a stage is counted once, and each task gets exactly one terminal event.
    @discardableResult
    public func finish(
        _ job: ClaimedJob, _ outcome: StageOutcome, now: Int64 = Clock.nowMillis()
    ) throws -> Bool {
        switch outcome {
        case .succeeded(let result):
            return try succeed(job, result, now: now)
        case .failed(let failure):
            return try fail(job, failure, now: now)
        }
    }

    private func succeed(_ job: ClaimedJob, _ result: StageResult, now: Int64) throws -> Bool {
        guard try settleJob(job, state: "done") else { return false }
        var task = try loadTask(job.taskID)
        if let record = result.record {
            try save(record, now: now)
        }
        var milestonePayload = result.payload
        var finishesTask = result.finishesTask
        task.sha256 = result.sha256 ?? task.sha256
        task.storePath = result.storePath ?? task.storePath
        task.duplicateOf = result.duplicateOf ?? task.duplicateOf
        if job.stage == .download, let sha256 = result.sha256,
            let first = try firstTask(withContent: sha256, other: task.id)
        {
            task.duplicateOf = first
            if case .object(var members) = milestonePayload {
                members["duplicateOf"] = .string(first)
                milestonePayload = .object(members)
            }
            finishesTask = finishesTask || settings.duplicates == .skip
        }
        let event: TaskEvent = finishesTask ? .finishedEarly : .stageSucceeded
        let next = try transition(task, event, expectedStage: job.stage)
        try database.run(
            "UPDATE tasks SET stage = ?2, state = ?3, attempts = 0, updated_at = ?4, "
                + "sha256 = ?5, store_path = ?6, duplicate_of = ?7, error_code = NULL, "
                + "error_message = NULL, finished_at = ?8 WHERE id = ?1",
            [
                .text(task.id), .text(next.stage.rawValue), .text(next.state.rawValue),
                .integer(now), .optional(task.sha256), .optional(task.storePath),
                .optional(task.duplicateOf), next.stage == .done ? .integer(now) : .null,
            ])
        try recordTransition(
            task: task.id, from: (task.stage, task.state), to: next, detail: event.rawValue,
            now: now)
        if let milestone = job.stage.milestoneEvent {
            try publish(
                milestone, task: task, source: "intake/\(job.stage.rawValue)",
                payload: milestonePayload, now: now)
        }
        guard next.stage == .done else {
            try insertJob(task: task.id, stage: next.stage, priority: job.priority, now: now)
            return true
        }
        var payload: [String: JSONValue] = [
            "source": .string(task.source),
            "sha256": task.sha256.map(JSONValue.string) ?? .null,
            "storePath": task.storePath.map(JSONValue.string) ?? .null,
            "durationMs": .int(now - task.createdAt),
        ]
        if let duplicate = task.duplicateOf {
            payload["duplicateOf"] = .string(duplicate)
        }
        try publish(
            "task.completed", task: task, source: "intake/coordinator",
            payload: .object(payload), now: now)
        return true
    }

    private func fail(_ job: ClaimedJob, _ failure: StageFailure, now: Int64) throws -> Bool {
        let limit = settings.attempts(for: job.stage)
        guard failure.transient && job.attempt < limit else {
            guard try settleJob(job, state: "failed") else { return false }
            var final = failure
            if failure.transient {
                final = StageFailure(
                    code: failure.code,
                    message: "\(failure.message) (gave up after \(job.attempt) attempts)",
                    transient: false)
            }
            let task = try loadTask(job.taskID)
            _ = try transition(task, .failedPermanently, expectedStage: job.stage)
            try failTask(task, attempts: job.attempt, failure: final, now: now)
            return true
        }
        var generator = SystemRandomNumberGenerator()
        let backoff = now + settings.backoffMillis(afterAttempt: job.attempt, using: &generator)
        let due = max(backoff, failure.retryAfterMillis ?? 0)
        try database.run(
            "UPDATE jobs SET state = 'retrying', due_at = ?3, lease_owner = NULL, "
                + "lease_expires_at = NULL WHERE id = ?1 AND state = 'leased' AND "
                + "lease_owner = ?2",
            [.integer(job.jobID), .text(job.leaseOwner), .integer(due)])
        guard database.changes == 1 else { return false }
        let task = try loadTask(job.taskID)
        let next = try transition(task, .failedTransiently, expectedStage: job.stage)
        try database.run(
            "UPDATE tasks SET state = ?2, attempts = ?3, updated_at = ?4, error_code = ?5, "
                + "error_message = ?6 WHERE id = ?1",
            [
                .text(task.id), .text(next.state.rawValue), .integer(Int64(job.attempt)),
                .integer(now), .text(failure.code), .text(failure.message),
            ])
        try recordTransition(
            task: task.id, from: (task.stage, task.state), to: next,
            detail: "\(failure.code): attempt \(job.attempt) of \(limit) failed", now: now)
        return true
    }

    /// Puts a claimed job back in its queue unfinished (shutdown): the attempt is not counted.
    @discardableResult
    public func release(_ job: ClaimedJob, now: Int64 = Clock.nowMillis()) throws -> Bool {
        try database.run(
            "UPDATE jobs SET state = 'ready', lease_owner = NULL, lease_expires_at = NULL, "
                + "attempts = max(attempts - 1, 0) WHERE id = ?1 AND state = 'leased' "
                + "AND lease_owner = ?2",
            [.integer(job.jobID), .text(job.leaseOwner)])
        guard database.changes == 1 else { return false }
        try releaseTask(job.taskID, attempts: job.attempt - 1, detail: "released", now: now)
        return true
    }

    // MARK: Recovery

    /// Puts back every leased job whose lease ran out before `now`, or, with `everyLease`,
    /// every leased job (at start: any lease is from a run that is gone). Such an attempt
    /// counts, so an image that crashes the daemon every time cannot loop for ever: it fails
    /// with `interrupted` once its attempts are used up. Returns how many jobs were handled,
    /// and the `work/` files of the dropped images it gave up at the download stage.
    @discardableResult
    public func recoverLeases(
        everyLease: Bool, now: Int64 = Clock.nowMillis()
    ) throws -> LeaseRecovery {
        let expired = try database.rows(
            "SELECT id, task_id, queue, attempts FROM jobs WHERE state = 'leased' AND "
                + "(?1 OR lease_expires_at <= ?2)",
            [.integer(everyLease ? 1 : 0), .integer(now)]
        ) { row in (id: row.int(0), task: row.text(1), queue: row.text(2), attempts: row.int(3)) }
        var recovery = LeaseRecovery(handled: expired.count)
        for job in expired {
            let stage = TaskStage(rawValue: job.queue) ?? .download
            guard job.attempts < Int64(settings.attempts(for: stage)) else {
                try database.run(
                    "UPDATE jobs SET state = 'failed', lease_owner = NULL, lease_expires_at = "
                        + "NULL WHERE id = ?1", [.integer(job.id)])
                let task = try loadTask(job.task)
                _ = try transition(task, .failedPermanently, expectedStage: stage)
                try failTask(
                    task, attempts: Int(job.attempts),
                    failure: .permanent(
                        "interrupted",
                        "the \(stage.rawValue) stage was interrupted \(job.attempts) times "
                            + "(daemon stopped or worker stuck) and was given up"),
                    now: now)
                if stage == .download, let workPath = task.workPath {
                    recovery.abandonedWorkPaths.append(workPath)
                }
                continue
            }
            try database.run(
                "UPDATE jobs SET state = 'ready', lease_owner = NULL, lease_expires_at = NULL "
                    + "WHERE id = ?1", [.integer(job.id)])
            try releaseTask(
                job.task, attempts: Int(job.attempts),
                detail: everyLease ? "recovered at start" : "lease expired", now: now)
        }
        return recovery
    }

    /// Puts failed tasks back into the stage where they failed, with a fresh attempt count.
    /// Returns the ids that went back; ids of tasks that are not failed are left alone.
    public func retry(taskIDs: [String], now: Int64 = Clock.nowMillis()) throws -> [String] {
        var retried: [String] = []
        for id in taskIDs {
            let task = try loadTask(id)
            guard
                let next = StateMachine.next(stage: task.stage, state: task.state, event: .retried)
            else { continue }
            try database.run(
                "UPDATE tasks SET state = ?2, attempts = 0, updated_at = ?3, error_code = NULL, "
                    + "error_message = NULL, finished_at = NULL WHERE id = ?1",
                [.text(id), .text(next.state.rawValue), .integer(now)])
            try recordTransition(
                task: id, from: (task.stage, task.state), to: next, detail: "retried", now: now)
            try insertJob(task: id, stage: task.stage, priority: 0, now: now)
            retried.append(id)
        }
        return retried
    }

    /// The ids of every failed task, oldest first.
    public func failedTaskIDs() throws -> [String] {
        try database.rows("SELECT id FROM tasks WHERE state = 'failed' ORDER BY updated_at, id") {
            $0.text(0)
        }
    }

    /// The earliest time (Unix ms) at which a job of `stage` is due or a lease of it runs out;
    /// nil when nothing is scheduled. A time already past means a job came due after the last
    /// claim looked (a retry's backoff ending in between): the dispatcher must claim again at
    /// once, not sleep until the next signal.
    public func nextWakeup(_ stage: TaskStage) throws -> Int64? {
        let due = try database.scalar(
            "SELECT min(due_at) FROM jobs WHERE queue = ?1 AND state IN ('ready', 'retrying')",
            [.text(stage.rawValue)])
        let lease = try database.scalar(
            "SELECT min(lease_expires_at) FROM jobs WHERE state = 'leased' AND queue = ?1",
            [.text(stage.rawValue)])
        return [due, lease].compactMap { $0 }.min()
    }

    /// Stores what a stage learnt about an image, replacing what an earlier run stored.
    private func save(_ record: StageRecord, now: Int64) throws {
        switch record {
        case .metadata(let sha256, let json):
            try database.run(
                "INSERT INTO images (sha256, metadata, updated_at) VALUES (?1, ?2, ?3) "
                    + "ON CONFLICT (sha256) DO UPDATE SET metadata = excluded.metadata, "
                    + "updated_at = excluded.updated_at",
                [.text(sha256), .text(json), .integer(now)])
        case .analysis(let sha256, let json, let phash, let thumbnail):
            try database.run(
                "INSERT INTO images (sha256, analysis, phash, thumbnail_path, updated_at) "
                    + "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (sha256) DO UPDATE SET "
                    + "analysis = excluded.analysis, phash = excluded.phash, "
                    + "thumbnail_path = excluded.thumbnail_path, updated_at = excluded.updated_at",
                [
                    .text(sha256), .text(json), .integer(Int64(bitPattern: phash)),
                    .optional(thumbnail), .integer(now),
                ])
        }
    }

    /// The first task (by creation) that brought content `sha256` into the store and did not
    /// fail, other than `other`: what a later task with the same content duplicates.
    func firstTask(withContent sha256: String, other: String) throws -> String? {
        try database.row(
            "SELECT id FROM tasks WHERE sha256 = ?1 AND id != ?2 AND state != 'failed' "
                + "ORDER BY created_at, id LIMIT 1", [.text(sha256), .text(other)]
        ) { $0.text(0) }
    }

    // MARK: Rows

    /// The columns of a task the coordinator works with.
    struct TaskRow {
        let id: String
        let stage: TaskStage
        let state: TaskState
        let attempts: Int
        let traceID: String
        let source: String
        let workPath: String?
        var sha256: String?
        var storePath: String?
        var duplicateOf: String?
        let createdAt: Int64
    }

    func loadTask(_ id: String) throws -> TaskRow {
        let row = try database.row(
            "SELECT stage, state, attempts, trace_id, source, work_path, sha256, store_path, "
                + "duplicate_of, created_at FROM tasks WHERE id = ?1",
            [.text(id)]
        ) { row in
            TaskRow(
                id: id, stage: TaskStage(rawValue: row.text(0)) ?? .download,
                state: TaskState(rawValue: row.text(1)) ?? .failed, attempts: Int(row.int(2)),
                traceID: row.text(3), source: row.text(4), workPath: row.optionalText(5),
                sha256: row.optionalText(6), storePath: row.optionalText(7),
                duplicateOf: row.optionalText(8), createdAt: row.int(9))
        }
        guard let row else { throw CoordinatorError.unknownTask(id) }
        return row
    }

    /// Where `event` takes `task`, refusing what the state machine forbids and any event for a
    /// stage the task is not at.
    private func transition(
        _ task: TaskRow, _ event: TaskEvent, expectedStage: TaskStage
    ) throws -> (stage: TaskStage, state: TaskState) {
        guard task.stage == expectedStage,
            let next = StateMachine.next(stage: task.stage, state: task.state, event: event)
        else {
            throw CoordinatorError.illegal(
                task: task.id, stage: task.stage, state: task.state, event: event)
        }
        return next
    }

    private func settleJob(_ job: ClaimedJob, state: String) throws -> Bool {
        try database.run(
            "UPDATE jobs SET state = ?3, lease_owner = NULL, lease_expires_at = NULL "
                + "WHERE id = ?1 AND state = 'leased' AND lease_owner = ?2",
            [.integer(job.jobID), .text(job.leaseOwner), .text(state)])
        return database.changes == 1
    }

    private func releaseTask(_ id: String, attempts: Int, detail: String, now: Int64) throws {
        let task = try loadTask(id)
        let next = try transition(task, .released, expectedStage: task.stage)
        try updateTask(task, to: next, attempts: max(attempts, 0), now: now)
        try recordTransition(
            task: id, from: (task.stage, task.state), to: next, detail: detail, now: now)
    }

    /// Fails `task` for good and publishes its `task.failed` event.
    private func failTask(
        _ task: TaskRow, attempts: Int, failure: StageFailure, now: Int64
    ) throws {
        let next = try transition(task, .failedPermanently, expectedStage: task.stage)
        try database.run(
            "UPDATE tasks SET state = ?2, attempts = ?3, updated_at = ?4, error_code = ?5, "
                + "error_message = ?6, finished_at = ?4 WHERE id = ?1",
            [
                .text(task.id), .text(next.state.rawValue), .integer(Int64(attempts)),
                .integer(now), .text(failure.code), .text(failure.message),
            ])
        try recordTransition(
            task: task.id, from: (task.stage, task.state), to: next, detail: failure.code,
            now: now)
        try publish(
            "task.failed", task: task, source: "intake/coordinator",
            payload: [
                "source": .string(task.source), "stage": .string(task.stage.rawValue),
                "error": ["code": .string(failure.code), "message": .string(failure.message)],
                "attempts": .int(Int64(attempts)),
            ], now: now)
    }

    private func updateTask(
        _ task: TaskRow, to next: (stage: TaskStage, state: TaskState), attempts: Int,
        now: Int64
    ) throws {
        try database.run(
            "UPDATE tasks SET stage = ?2, state = ?3, attempts = ?4, updated_at = ?5 WHERE id = ?1",
            [
                .text(task.id), .text(next.stage.rawValue), .text(next.state.rawValue),
                .integer(Int64(attempts)), .integer(now),
            ])
    }

    private func recordTransition(
        task: String, from: (stage: TaskStage, state: TaskState)?,
        to: (stage: TaskStage, state: TaskState), detail: String, now: Int64
    ) throws {
        try database.run(
            "INSERT INTO transitions (task_id, from_stage, from_state, to_stage, to_state, "
                + "detail, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            [
                .text(task), .optional(from?.stage.rawValue), .optional(from?.state.rawValue),
                .text(to.stage.rawValue), .text(to.state.rawValue), .text(detail), .integer(now),
            ])
    }

    private func insertJob(task: String, stage: TaskStage, priority: Int, now: Int64) throws {
        try database.run(
            "INSERT INTO jobs (task_id, queue, state, priority, due_at, created_at) "
                + "VALUES (?1, ?2, 'ready', ?3, ?4, ?4)",
            [.text(task), .text(stage.rawValue), .integer(Int64(priority)), .integer(now)])
    }

    /// Adds an event about `task` to the outbox, in the caller's transaction.
    private func publish(
        _ type: String, task: TaskRow, source: String, payload: JSONValue, now: Int64
    ) throws {
        let envelope = EventEnvelope(
            eventID: Identifier.uuidV7(millis: now), eventType: type, taskID: task.id,
            traceID: task.traceID, timestamp: now, source: source, payloadJSON: payload.text())
        try Outbox.append(envelope, to: database)
    }
}
