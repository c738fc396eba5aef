import Foundation

/// A problem with the home folder, its layout or its lock.
public enum HomeError: CodedError {
    /// A system call failed on a path.
    case system(function: String, path: String, errno: Int32)
    /// Another process holds the home.
    case locked(path: String, pid: Int32?)

    public var code: String {
        switch self {
        case .system(_, _, let number) where number == ENOSPC: "disk_full"
        case .system: "home_unusable"
        case .locked: "home_locked"
        }
    }

    public var message: String {
        switch self {
        case .system(let function, let path, let number):
            return "\(function) \(path): \(String(cString: strerror(number)))"
        case .locked(let path, let pid):
            let holder = pid.map { "process \($0)" } ?? "another process"
            return "\(path) is held by \(holder); another intake is already running on this home"
        }
    }
}
