import Foundation

/// A failure of the operating side of intake: telling systemd about the daemon, writing the
/// metrics file, measuring free disk space.
public enum OperationsError: CodedError {
    /// A system call failed on a path (or, for `sendto`, on the notification socket).
    case system(function: String, path: String, errno: Int32)
    /// `$NOTIFY_SOCKET` names an address this notifier cannot reach.
    case unsupportedNotifySocket(String)

    public var code: String {
        switch self {
        case .system(_, _, let number) where number == ENOSPC || number == EDQUOT: "disk_full"
        case .system(let function, _, _) where function == "statvfs": "disk_unreadable"
        case .system(let function, _, _) where function == "socket" || function == "sendto":
            "notify_failed"
        case .system: "metrics_unwritable"
        case .unsupportedNotifySocket: "notify_failed"
        }
    }

    public var message: String {
        switch self {
        case .system(let function, let path, let number):
            "\(function) \(path): \(String(cString: strerror(number)))"
        case .unsupportedNotifySocket(let address):
            "NOTIFY_SOCKET=\(address) is neither a socket path nor an abstract name (@name) "
                + "of at most 107 bytes"
        }
    }
}
