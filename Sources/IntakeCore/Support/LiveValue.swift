import Synchronization

/// A value that one thread may replace while others read it, such as settings that SIGHUP
/// changes in a running daemon: a reader always gets a whole value, the old one or the new.
public final class LiveValue<Value: Sendable>: Sendable {
    private let current: Mutex<Value>

    public init(_ value: Value) {
        current = Mutex(value)
    }

    /// The value now.
    public var value: Value { current.withLock { $0 } }

    /// Replaces the value for every later reader.
    public func replace(with value: Value) {
        current.withLock { $0 = value }
    }
}
