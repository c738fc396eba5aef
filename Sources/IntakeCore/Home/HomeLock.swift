import Foundation

/// The single-instance lock of a home: an exclusive `flock(2)` on `intake.lock`, which holds
/// the owner's pid as text. The kernel drops the lock when the process dies, however it dies,
/// so a stale file never blocks a restart.
public final class HomeLock: Sendable {
    private let descriptor: Int32
    public let path: String

    /// Takes the lock, or throws `HomeError.locked` naming the holder's pid.
    public init(path: String, fileMode: UInt32) throws(HomeError) {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, mode_t(fileMode))
        guard descriptor >= 0 else {
            throw HomeError.system(function: "open", path: path, errno: errno)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = HomeLock.readPid(descriptor)
            close(descriptor)
            if code == EWOULDBLOCK { throw HomeError.locked(path: path, pid: holder) }
            throw HomeError.system(function: "flock", path: path, errno: code)
        }
        let text = "\(getpid())\n"
        ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
        self.descriptor = descriptor
        self.path = path
    }

    deinit {
        ftruncate(descriptor, 0)
        close(descriptor)
    }

    /// Records in the lock file that the daemon finished starting (`intake status` shows it).
    public func markReady() {
        let text = "\(getpid()) ready\n"
        ftruncate(descriptor, 0)
        _ = text.withCString { pwrite(descriptor, $0, strlen($0), 0) }
    }

    /// Who holds the lock at `path`: nil when nobody does.
    public static func holder(path: String) -> Holder? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_SH | LOCK_NB) == 0 {
            flock(descriptor, LOCK_UN)
            return nil
        }
        let words = readWords(descriptor)
        return Holder(pid: words.first.flatMap { Int32($0) }, ready: words.contains("ready"))
    }

    /// The process holding a home's lock, as its lock file describes it.
    public struct Holder: Sendable, Equatable {
        /// The holder's pid; nil only while it is still writing the file.
        public let pid: Int32?
        /// True once the daemon has finished starting.
        public let ready: Bool
    }

    private static func readPid(_ descriptor: Int32) -> Int32? {
        readWords(descriptor).first.flatMap { Int32($0) }
    }

    private static func readWords(_ descriptor: Int32) -> [String] {
        var buffer = [UInt8](repeating: 0, count: 64)
        let count = pread(descriptor, &buffer, buffer.count, 0)
        guard count > 0 else { return [] }
        return String(decoding: buffer[0..<count], as: UTF8.self)
            .split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init)
    }
}
