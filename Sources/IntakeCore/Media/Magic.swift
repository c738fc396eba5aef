import CMagic
import Foundation
import Synchronization

/// Content types by content, never by name: one libmagic handle (`magic_t`) with its default
/// database loaded, asked for MIME types.
///
/// A `magic_t` must not be used by two threads at once, so every call holds the mutex; opening a
/// handle costs about 0.1 ms, so callers that classify in parallel make one `Magic` each.
public final class Magic: Sendable {
    // Only touched under `lock`, which makes sharing the handle between threads safe.
    private nonisolated(unsafe) let handle: OpaquePointer
    private let lock = Mutex(())

    /// How many leading bytes are classified. libmagic reads at most this much of a file by
    /// default too; passing a prefix keeps large text files from being read whole.
    public static let prefixBytes = 64 * 1024

    /// Opens a handle answering MIME types (`image/jpeg`, `text/plain`).
    public init() throws(MagicError) {
        guard let handle = magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS) else {
            throw MagicError(function: "magic_open", path: nil, detail: "out of memory")
        }
        guard magic_load(handle, nil) == 0 else {
            let detail = magic_error(handle).map { String(cString: $0) } ?? "no database"
            magic_close(handle)
            throw MagicError(function: "magic_load", path: nil, detail: detail)
        }
        self.handle = handle
    }

    deinit {
        magic_close(handle)
    }

    /// libmagic's version, such as `5.44`.
    public static var libraryVersion: String {
        let number = magic_version()
        return "\(number / 100).\(String(format: "%02d", number % 100))"
    }

    /// The MIME type of `bytes` (a file's first bytes, or all of them).
    public func mimeType(of bytes: UnsafeRawBufferPointer) throws(MagicError) -> String {
        try lock.withLock { _ throws(MagicError) -> String in
            guard let result = magic_buffer(handle, bytes.baseAddress, bytes.count) else {
                let detail = magic_error(handle).map { String(cString: $0) } ?? "unknown error"
                throw MagicError(function: "magic_buffer", path: nil, detail: detail)
            }
            return String(cString: result)
        }
    }

    /// The MIME type of `data`.
    public func mimeType(of data: Data) throws(MagicError) -> String {
        do {
            return try data.withUnsafeBytes { buffer in try mimeType(of: buffer) }
        } catch let error as MagicError {
            throw error
        } catch {
            preconditionFailure("mimeType(of:) throws only MagicError")
        }
    }

    /// The MIME type of the file at `path`, read from its first `prefixBytes` bytes through an
    /// already open descriptor, so a FIFO or device is never opened by libmagic itself.
    public func mimeType(ofFileAt path: String) throws(MagicError) -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            throw MagicError(function: "open", path: path, detail: String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw MagicError(function: "fstat", path: path, detail: "not a regular file")
        }
        var buffer = [UInt8](repeating: 0, count: Magic.prefixBytes)
        var filled = 0
        while filled < buffer.count {
            let count = buffer.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + filled, raw.count - filled)
            }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                throw MagicError(
                    function: "read", path: path, detail: String(cString: strerror(errno)))
            }
            if count == 0 { break }
            filled += count
        }
        return try mimeType(of: Data(buffer[0..<filled]))
    }
}
