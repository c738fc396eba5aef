/// Where a task is within its current stage.
public enum TaskState: String, Sendable, CaseIterable, Codable {
    /// Waiting in its stage's queue.
    case queued
    /// Claimed by a worker.
    case running
    /// Failed transiently; waiting in the queue for its next attempt.
    case retrying
    /// Finished the pipeline (terminal).
    case completed
    /// Failed for good (terminal until `intake retry`).
    case failed

    /// True for the states that end a run through the pipeline.
    public var isTerminal: Bool { self == .completed || self == .failed }
}
