import Foundation

/// A problem in the event side: the outbox, the spool, a subscriber or a pattern.
public enum EventError: CodedError {
    /// A system call failed on a path.
    case system(function: String, path: String, errno: Int32)
    /// A subscriber name that is not letters, digits, `_` and `-`.
    case invalidSubscriberName(String)
    /// An event-type pattern with characters other than letters, digits, `.`, `_`, `-`, `*`.
    case invalidPattern(String)
    /// No subscriber of that name exists.
    case unknownSubscriber(String)
    /// An outbox row whose body is not a JSON object.
    case invalidEvent(seq: Int64, reason: String)

    public var code: String {
        switch self {
        case .system(_, _, let number) where number == ENOSPC: "disk_full"
        case .system: "spool_unusable"
        case .invalidSubscriberName: "invalid_subscriber_name"
        case .invalidPattern: "invalid_pattern"
        case .unknownSubscriber: "unknown_subscriber"
        case .invalidEvent: "invalid_event"
        }
    }

    public var message: String {
        switch self {
        case .system(let function, let path, let number):
            return "\(function) \(path): \(String(cString: strerror(number)))"
        case .invalidSubscriberName(let name):
            return "subscriber name '\(name)' is not usable: use 1 to 64 letters, digits, "
                + "'_' and '-'"
        case .invalidPattern(let pattern):
            return "event pattern '\(pattern)' is not usable: use letters, digits, '.', '_', "
                + "'-' and '*' (such as image.* or task.failed)"
        case .unknownSubscriber(let name):
            return "no subscriber named '\(name)'"
        case .invalidEvent(let seq, let reason):
            return "outbox event \(seq) cannot be published: \(reason)"
        }
    }
}
