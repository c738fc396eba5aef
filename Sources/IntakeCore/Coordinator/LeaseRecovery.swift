/// What putting back expired leases did (`Coordinator.recoverLeases`).
public struct LeaseRecovery: Sendable, Equatable {
    /// Leased jobs handled: put back in their queue, or given up.
    public var handled = 0
    /// The `work/` files of dropped images whose tasks were given up at the download stage
    /// (interrupted too often). No worker's outcome will clean them up, so whoever recovered
    /// the leases moves them to `rejected/` once the change is committed.
    public var abandonedWorkPaths: [String] = []

    public init(handled: Int = 0, abandonedWorkPaths: [String] = []) {
        self.handled = handled
        self.abandonedWorkPaths = abandonedWorkPaths
    }
}
