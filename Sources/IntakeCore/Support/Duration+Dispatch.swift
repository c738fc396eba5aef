import Dispatch

/// Durations handed to Dispatch timers.
extension Duration {
    /// The duration in seconds, for Dispatch.
    var timeInterval: DispatchTimeInterval {
        let (seconds, attoseconds) = components
        return .nanoseconds(Int(seconds) * 1_000_000_000 + Int(attoseconds / 1_000_000_000))
    }
}
