import CSystem
import Foundation

/// The system calls the store makes, each retrying `EINTR` here and nowhere else, each
/// throwing a `StoreError` that names the call and the path.
enum FileIO {
    /// Runs `call` until it does not fail with `EINTR`; returns its result or throws with
    /// `function` and `path`.
    static func retrying<Result: BinaryInteger>(
        _ function: String, _ path: String, _ call: () -> Result
    ) throws(StoreError) -> Result {
        while true {
            let result = call()
            if result >= 0 { return result }
            let number = errno
            if number == EINTR { continue }
            throw StoreError.system(function: function, path: path, errno: number)
        }
    }

    /// Opens `path`; descriptors are always close-on-exec so plugins never inherit them.
    static func open(_ path: String, _ flags: Int32, mode: UInt32 = 0o600) throws(StoreError)
        -> Int32
    {
        try retrying("open", path) { Glibc.open(path, flags | O_CLOEXEC, mode_t(mode)) }
    }

    /// Opens a new file in `folder` for writing: an unnamed one (`O_TMPFILE`, nothing to
    /// clean up if the process dies) where the file system has them, else a named one, whose
    /// path is returned.
    static func openUnnamed(in folder: String, mode: UInt32) throws(StoreError)
        -> (descriptor: Int32, path: String?)
    {
        while true {
            let result = intake_open_tmpfile(folder, mode)
            if result >= 0 { return (result, nil) }
            switch -result {
            case EINTR: continue
            case EOPNOTSUPP, EISDIR, EINVAL:
                let path = folder + "/body-" + Identifier.uuidV7() + ".part"
                return (try open(path, O_WRONLY | O_CREAT | O_EXCL, mode: mode), path)
            default:
                throw StoreError.system(function: "open(O_TMPFILE)", path: folder, errno: -result)
            }
        }
    }

    /// Reads up to `buffer.count` bytes; 0 at the end of the file.
    static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String)
        throws(StoreError) -> Int
    {
        try retrying("read", path) { Glibc.read(descriptor, buffer.baseAddress, buffer.count) }
    }

    /// Writes every byte of `bytes`, continuing after short writes.
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String)
        throws(StoreError)
    {
        var written = 0
        while written < bytes.count {
            written += try retrying("write", path) {
                Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            }
        }
    }

    /// Writes every byte of `bytes`.
    static func write(_ descriptor: Int32, _ bytes: [UInt8], path: String) throws(StoreError) {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(StoreError) in try write(descriptor, raw, path: path) }
        }
        try result.get()
    }

    /// Flushes a file's data and size to the disk.
    static func fsync(_ descriptor: Int32, path: String) throws(StoreError) {
        _ = try retrying("fsync", path) { Glibc.fsync(descriptor) }
    }

    /// Flushes a folder, so that names just linked into it or removed from it survive a crash.
    static func syncFolder(_ path: String) throws(StoreError) {
        let descriptor = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(descriptor) }
        try fsync(descriptor, path: path)
    }

    /// Creates `path` unless it is already a folder; returns whether it created it.
    @discardableResult
    static func makeFolder(_ path: String, mode: UInt32) throws(StoreError) -> Bool {
        if mkdir(path, mode_t(mode)) == 0 { return true }
        let number = errno
        var status = stat()
        if number == EEXIST, stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
            return false
        }
        throw StoreError.system(function: "mkdir", path: path, errno: number)
    }

    /// Removes `path`, ignoring a file that is already gone.
    static func remove(_ path: String) {
        _ = unlink(path)
    }

    /// The size of the regular file at `path`, or nil when there is none.
    static func regularFileSize(_ path: String) -> Int64? {
        var status = stat()
        guard lstat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(status.st_size)
    }
}
