/// A job a worker holds: its task, and the lease that makes the worker its only owner.
public struct ClaimedJob: Sendable, Equatable {
    public let jobID: Int64
    public let taskID: String
    public let traceID: String
    public let stage: TaskStage
    /// This attempt's number, from 1.
    public let attempt: Int
    /// The job's priority, which the task's next job inherits.
    public let priority: Int
    public let source: String
    /// The claimed file in `work/` for local drops.
    public let workPath: String?
    public let sha256: String?
    public let storePath: String?
    public let leaseOwner: String
    /// When the lease runs out (Unix ms); after that the job may go to another worker.
    public let leaseExpiresAt: Int64
}
