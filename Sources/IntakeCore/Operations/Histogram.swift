/// Observations counted into buckets by upper bound, as a Prometheus histogram reports them.
///
/// `counts[i]` holds the observations in bucket `i` alone (not cumulative): those at most
/// `upperBounds[i]` and above the bound before it; the last element counts those above every
/// bound (the `+Inf` bucket). The writer makes them cumulative.
public struct Histogram: Sendable, Equatable {
    /// Bucket bounds, strictly increasing, without `+Inf`.
    public let upperBounds: [Double]
    /// Observations per bucket; one more element than `upperBounds`.
    public private(set) var counts: [UInt64]
    /// The sum of every observation.
    public private(set) var sum: Double = 0

    public init(upperBounds: [Double]) {
        precondition(
            zip(upperBounds, upperBounds.dropFirst()).allSatisfy { $0 < $1 },
            "bucket bounds must increase")
        precondition(upperBounds.allSatisfy(\.isFinite), "+Inf is implied")
        self.upperBounds = upperBounds
        self.counts = Array(repeating: 0, count: upperBounds.count + 1)
    }

    /// Bounds (seconds) for how long a stage runs: from a cached metadata read to a slow
    /// download of a large file.
    public static let stageSeconds: [Double] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900,
    ]

    /// How many observations there are.
    public var count: UInt64 { counts.reduce(0, +) }

    /// Counts `value` into its bucket.
    public mutating func observe(_ value: Double) {
        let index = upperBounds.firstIndex { value <= $0 } ?? upperBounds.count
        counts[index] += 1
        sum += value
    }

    /// The cumulative counts the exposition format wants: observations at most each bound,
    /// then the total for `+Inf`.
    public var cumulativeCounts: [UInt64] {
        var running: UInt64 = 0
        return counts.map { count in
            running += count
            return running
        }
    }
}
