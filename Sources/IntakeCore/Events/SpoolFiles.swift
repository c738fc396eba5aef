import CSystem
import Foundation

/// The system calls the spool is built from, each retrying `EINTR` and throwing an
/// `EventError` that names the call and the path.
///
/// The spool's guarantee ("no reader ever sees a partly written file") rests on three facts
/// of POSIX file systems: a file is written and `fsync`ed under `tmp/` before any reader can
/// see it; `link(2)` publishes an existing inode atomically and fails with `EEXIST` rather than
/// replacing; `rename(2)` within one file system is atomic. See link(2), rename(2), fsync(2).
enum SpoolFiles {
    /// Writes `data` into a new file at `path` and returns its open descriptor, not yet synced:
    /// the publisher writes a whole batch, then syncs every file, because on journaling file
    /// systems the first `fsync` commits the others' data with it and the rest cost little.
    static func writeUnsynced(_ data: Data, to path: String, mode: UInt32) throws(EventError)
        -> Int32
    {
        let descriptor = retrying {
            open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        }
        guard descriptor >= 0 else { throw failure("open", path) }
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { buffer in
                retrying { write(descriptor, buffer.baseAddress! + offset, buffer.count - offset) }
            }
            guard written > 0 else {
                let error = failure("write", path)
                close(descriptor)
                throw error
            }
            offset += written
        }
        return descriptor
    }

    /// Syncs and closes a descriptor from `writeUnsynced`.
    static func syncAndClose(_ descriptor: Int32, path: String) throws(EventError) {
        defer { close(descriptor) }
        guard retrying({ fsync(descriptor) }) == 0 else { throw failure("fsync", path) }
    }

    /// Writes a small file atomically (temporary file beside it, then rename), without syncing:
    /// for bookkeeping files whose loss in a power cut costs nothing.
    static func writeAtomically(_ data: Data, to path: String, mode: UInt32) throws(EventError) {
        let temporary = path + ".tmp-\(getpid())"
        unlink(temporary)
        let descriptor = retrying {
            open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode_t(mode))
        }
        guard descriptor >= 0 else { throw failure("open", temporary) }
        var offset = 0
        while offset < data.count {
            let written = data.withUnsafeBytes { buffer in
                retrying { write(descriptor, buffer.baseAddress! + offset, buffer.count - offset) }
            }
            guard written > 0 else {
                close(descriptor)
                unlink(temporary)
                throw failure("write", temporary)
            }
            offset += written
        }
        close(descriptor)
        try rename(temporary, to: path)
    }

    /// Hard-links `source` to `target`; an existing `target` counts as done (false).
    @discardableResult
    static func link(_ source: String, to target: String) throws(EventError) -> Bool {
        if retrying({ Glibc.link(source, target) }) == 0 { return true }
        if errno == EEXIST { return false }
        throw failure("link", target)
    }

    /// Renames `source` to `target`; false when `source` is gone (someone else took it).
    @discardableResult
    static func rename(_ source: String, to target: String) throws(EventError) -> Bool {
        if retrying({ Glibc.rename(source, target) }) == 0 { return true }
        if errno == ENOENT { return false }
        throw failure("rename", source)
    }

    /// Syncs a folder, so that the names created in it survive a power cut.
    /// Flushes the whole file system that `descriptor` (open on `path`) lives on: syncfs(2).
    static func syncFileSystem(_ descriptor: Int32, path: String) throws(EventError) {
        guard retrying({ intake_syncfs(descriptor) }) == 0 else { throw failure("syncfs", path) }
    }

    /// Flushes the whole file system that the folder `path` lives on.
    static func syncFileSystem(of path: String) throws(EventError) {
        let descriptor = retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        try syncFileSystem(descriptor, path: path)
    }

    static func syncFolder(_ path: String) throws(EventError) {
        let descriptor = retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        guard retrying({ fsync(descriptor) }) == 0 else { throw failure("fsync", path) }
    }

    /// Creates a folder if missing; an existing folder is fine.
    static func makeFolder(_ path: String, mode: UInt32) throws(EventError) {
        if mkdir(path, mode_t(mode)) == 0 || errno == EEXIST { return }
        throw failure("mkdir", path)
    }

    /// Removes a file; a missing one is fine.
    static func remove(_ path: String) throws(EventError) {
        if unlink(path) == 0 || errno == ENOENT { return }
        throw failure("unlink", path)
    }

    /// The names in a folder, sorted, without `.` and `..`; a missing folder is empty.
    static func names(in path: String) throws(EventError) -> [String] {
        guard let folder = opendir(path) else {
            if errno == ENOENT { return [] }
            throw failure("opendir", path)
        }
        defer { closedir(folder) }
        var names: [String] = []
        while let entry = readdir(folder) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// True when `path` exists (without following a final symbolic link).
    static func exists(_ path: String) -> Bool {
        var status = stat()
        return lstat(path, &status) == 0
    }

    /// The whole content of a file, or nil when it cannot be read.
    static func read(_ path: String) -> Data? {
        FileManager.default.contents(atPath: path)
    }

    /// Calls `body` again while it fails with `EINTR`.
    static func retrying<T: BinaryInteger>(_ body: () -> T) -> T {
        while true {
            let result = body()
            if result >= 0 || errno != EINTR { return result }
        }
    }

    static func failure(_ function: String, _ path: String) -> EventError {
        EventError.system(function: function, path: path, errno: errno)
    }
}
