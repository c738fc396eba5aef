/// Runs one stage's workers: claims due jobs of its queue as slots free up, runs the handler
/// for each, and hands every outcome to the store, which moves the task on.
///
/// One dispatcher per stage does the claiming, so claims are batched (one statement claims as
/// many jobs as there are free slots). It sleeps on the queue's `WakeSignal`: woken by new
/// work, by a worker finishing, or by a timer set for the next retry or lease expiry.
///
/// With a `DiskSpaceGuard`, the dispatcher waits at its gate before each claim, so a full disk
/// holds new jobs back (running ones finish), and every failure that says the disk is full
/// (a stage failing with `disk_full`, the store refusing a write) closes the gate.
public struct StageWorkerPool: Sendable {
    /// What a worker does with a job; `nil` means it was interrupted and the job goes back.
    public typealias Handler = @Sendable (ClaimedJob) async -> StageOutcome?
    /// Called after the outcome was handed to the store, with whether it was applied (false
    /// when the job's lease had been lost), to clean up after the job.
    public typealias Epilogue = @Sendable (ClaimedJob, StageOutcome, Bool) -> Void

    public let stage: TaskStage
    public let concurrency: Int
    public let owner: String
    private let store: any TaskStore
    private let handler: Handler
    private let epilogue: Epilogue?
    private let logger: Logger
    private let diskGuard: DiskSpaceGuard?

    public init(
        stage: TaskStage, concurrency: Int, store: any TaskStore, owner: String,
        logger: Logger, diskGuard: DiskSpaceGuard? = nil, handler: @escaping Handler,
        epilogue: Epilogue? = nil
    ) {
        precondition(concurrency > 0, "a stage needs at least one worker")
        self.stage = stage
        self.concurrency = concurrency
        self.store = store
        self.owner = owner
        self.logger = logger
        self.handler = handler
        self.epilogue = epilogue
        self.diskGuard = diskGuard
    }

    /// Works until the calling task is cancelled, then lets running jobs finish and returns.
    public func run() async {
        let signal = store.signal(for: stage)
        let running = RunningCount()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                if let gate = diskGuard?.gate, gate.isPaused {
                    // Cancellation (a stop signal) ends the wait with an error; the loop's
                    // condition then ends the dispatcher.
                    try? await gate.wait()
                    continue
                }
                let free = concurrency - running.value
                var claimed: [ClaimedJob] = []
                var claimFailed = false
                if free > 0 {
                    do {
                        claimed = try await store.claim(stage, owner: owner, limit: free)
                    } catch {
                        claimFailed = true
                        diskGuard?.noteFailure(error)
                        logger.error(
                            "claim failed", ("stage", stage.rawValue), ("error", "\(error)"))
                    }
                }
                for job in claimed {
                    running.add(1)
                    group.addTask {
                        await process(job) {
                            // The slot is free once the handler is done: the next job can be
                            // claimed (in the same write transaction, often) while this
                            // outcome is being recorded, so a core does not idle for a commit.
                            running.add(-1)
                            signal.signal()
                        }
                    }
                }
                if free <= 0 || claimed.count == free {
                    // Every slot is busy: only a finishing worker can make room.
                    if free <= 0 { await signal.wait(untilMillis: nil) }
                    continue
                }
                var deadline: Int64?
                do {
                    // After a failed claim, the due jobs are still there: try again in a
                    // second rather than at once, so a lasting failure does not spin.
                    deadline =
                        claimFailed
                        ? Clock.nowMillis() + 1_000 : try await store.nextWakeup(stage)
                } catch {
                    logger.error(
                        "queue inspection failed", ("stage", stage.rawValue), ("error", "\(error)"))
                    deadline = Clock.nowMillis() + 1_000
                }
                await signal.wait(untilMillis: deadline)
                if let deadline, Clock.nowMillis() >= deadline {
                    _ = try? await store.expireLeases()
                }
            }
        }
    }

    /// Runs the handler for `job`, calls `handled`, then records the outcome.
    private func process(_ job: ClaimedJob, handled: () -> Void) async {
        let outcome = await handler(job)
        handled()
        if case .failed(let failure) = outcome {
            diskGuard?.noteFailure(failure)
        }
        do {
            guard let outcome else {
                try await store.release(job)
                return
            }
            let applied = try await store.finish(job, outcome)
            epilogue?(job, outcome, applied)
            if !applied {
                logger.warning(
                    "stage result dropped: the job's lease was lost", ("task.id", job.taskID),
                    ("stage", stage.rawValue))
            }
        } catch {
            diskGuard?.noteFailure(error)
            logger.error(
                "recording a stage outcome failed", ("task.id", job.taskID),
                ("trace.id", job.traceID), ("stage", stage.rawValue), ("error", "\(error)"))
        }
    }
}
