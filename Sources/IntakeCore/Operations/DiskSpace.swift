import Foundation

/// Free space of the file system under a path, and the test for "this failed because the
/// disk is full", which decides whether intake pauses taking work instead of failing tasks.
public enum DiskSpace {
    /// Bytes an unprivileged process may still write on the file system holding `path`
    /// (`f_bavail * f_frsize` of statvfs(3): the blocks reserved for root do not count).
    public static func freeBytes(at path: String) throws(OperationsError) -> UInt64 {
        var status = statvfs()
        var result: Int32
        repeat {
            result = statvfs(path, &status)
        } while result != 0 && errno == EINTR
        guard result == 0 else { throw .system(function: "statvfs", path: path, errno: errno) }
        return UInt64(status.f_bavail) * UInt64(status.f_frsize)
    }

    /// True when `error` says the disk (or the user's quota) is full: `ENOSPC` or `EDQUOT`
    /// from a system call, SQLite's `SQLITE_FULL`, or any intake error whose code is
    /// `disk_full` (every part maps those errnos to that code).
    public static func isDiskFull(_ error: any Error) -> Bool {
        if let coded = error as? any CodedError {
            return coded.code == "disk_full"
        }
        if let posix = error as? POSIXError {
            return posix.code == .ENOSPC || posix.code == .EDQUOT
        }
        if let cocoa = error as? CocoaError, cocoa.code == .fileWriteOutOfSpace {
            return true
        }
        let bridged = error as NSError
        if bridged.domain == NSPOSIXErrorDomain {
            return bridged.code == Int(ENOSPC) || bridged.code == Int(EDQUOT)
        }
        if let underlying = bridged.userInfo[NSUnderlyingErrorKey] as? any Error {
            return isDiskFull(underlying)
        }
        return false
    }

    /// True when `errno` is one of the "disk full" numbers.
    public static func isDiskFull(errno number: Int32) -> Bool {
        number == ENOSPC || number == EDQUOT
    }
}
