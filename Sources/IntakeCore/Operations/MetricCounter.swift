import Synchronization

/// A counter that any thread adds to and the metrics collector reads, for what the database
/// does not record (such as bytes downloaded). It only grows, as a Prometheus counter must.
public final class MetricCounter: Sendable {
    private let total = Atomic<Int64>(0)

    public init() {}

    /// Adds `amount`; negative amounts are a bug.
    public func add(_ amount: Int64) {
        precondition(amount >= 0, "a counter only grows")
        total.wrappingAdd(amount, ordering: .relaxed)
    }

    /// The sum of everything added so far.
    public var value: Int64 { total.load(ordering: .relaxed) }
}
