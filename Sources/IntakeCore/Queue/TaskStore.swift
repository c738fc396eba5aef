/// The narrow interface between the workers and the storage of queues and the coordinator.
///
/// The SQLite store is the one built now; a PostgreSQL store (claims with `FOR UPDATE SKIP
/// LOCKED`) can arrive later as another conforming type without touching the workers.
public protocol TaskStore: Sendable {
    /// Records a drop and queues its tasks.
    func record(_ drop: NewDrop) async throws -> RecordedDrop
    /// Claims up to `limit` due jobs of `stage`.
    func claim(_ stage: TaskStage, owner: String, limit: Int) async throws -> [ClaimedJob]
    /// Applies a worker's outcome; false when the job's lease was lost.
    @discardableResult
    func finish(_ job: ClaimedJob, _ outcome: StageOutcome) async throws -> Bool
    /// Puts an unfinished job back into its queue without counting the attempt.
    func release(_ job: ClaimedJob) async throws
    /// Puts back jobs whose lease ran out; returns how many.
    @discardableResult
    func expireLeases() async throws -> Int
    /// When `stage` next has a retry due or a lease running out (Unix ms).
    func nextWakeup(_ stage: TaskStage) async throws -> Int64?
    /// The signal that wakes `stage`'s dispatcher when its queue may have work.
    func signal(for stage: TaskStage) -> WakeSignal
}
