import Foundation

/// A failure of the inbox itself: a system call on a path, or the database behind a claim.
///
/// Verdicts about a drop's content (an unsupported type, a list too long) are not errors of the
/// inbox: they are `DropRejection`s, recorded as a failed task.
public enum InboxError: CodedError {
    /// A system call failed on a path.
    case system(function: String, path: String, errno: Int32)
    /// The inbox folder is missing or is not a folder.
    case inboxMissing(path: String)

    public var code: String {
        switch self {
        case .system(_, _, let number) where number == ENOSPC: "disk_full"
        case .system(_, _, let number) where number == EACCES || number == EPERM: "unreadable"
        case .system: "inbox_error"
        case .inboxMissing: "inbox_missing"
        }
    }

    public var message: String {
        switch self {
        case .system(let function, let path, let number):
            "\(function) \(path): \(String(cString: strerror(number)))"
        case .inboxMissing(let path):
            "the inbox \(path) does not exist or is not a folder"
        }
    }

    /// The `errno` of a failed system call, nil for other cases.
    public var errno: Int32? {
        if case .system(_, _, let number) = self { return number }
        return nil
    }
}
