/// What happens to a task; the state machine decides where each event may take it.
public enum TaskEvent: String, Sendable, CaseIterable {
    /// A worker claimed the task's job.
    case claimed
    /// The current stage succeeded; the task moves on to the next stage.
    case stageSucceeded
    /// The task is finished before the last stage (a duplicate with `duplicates = "skip"`).
    case finishedEarly
    /// The stage failed transiently and will be tried again.
    case failedTransiently
    /// The stage failed for good (a permanent error, or the attempts are used up).
    case failedPermanently
    /// The job went back to its queue unfinished (shutdown, lease expiry, crash recovery).
    case released
    /// `intake retry` put a failed task back into the stage where it failed.
    case retried
}
