import Foundation

/// The whole content of one regular file, read through a descriptor that was checked first:
/// a missing path, a directory, a FIFO, a socket or a device is refused before it is opened
/// (opening a FIFO would block until a writer came), and a file without read permission is
/// refused by `open` itself.
struct ImageFile {
    let path: String
    let bytes: [UInt8]

    /// Reads `path` whole.
    static func read(_ path: String) throws(ImageError) -> ImageFile {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw ImageError(.unreadable, path: path, detail: errorText(), function: "stat")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            let what = kind(status.st_mode)
            throw ImageError(
                .unreadable, path: path, detail: "\(what), not a regular file; not opened")
        }
        let descriptor = retryingInterrupts { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard descriptor >= 0 else {
            throw ImageError(.unreadable, path: path, detail: errorText(), function: "open")
        }
        defer { close(descriptor) }
        // The path may have been replaced between stat and open.
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            throw ImageError(
                .unreadable, path: path, detail: "not a regular file", function: "fstat")
        }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        var filled = 0
        while true {
            if filled == bytes.count {
                // The file grew since fstat: read on in steps.
                bytes.append(contentsOf: repeatElement(0, count: 64 * 1024))
            }
            let count = bytes.withUnsafeMutableBytes { raw in
                retryingInterrupts {
                    Foundation.read(descriptor, raw.baseAddress! + filled, raw.count - filled)
                }
            }
            guard count >= 0 else {
                throw ImageError(.unreadable, path: path, detail: errorText(), function: "read")
            }
            if count == 0 { break }
            filled += count
        }
        bytes.removeSubrange(filled...)
        return ImageFile(path: path, bytes: bytes)
    }

    private static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a directory"
        case S_IFIFO: "a FIFO"
        case S_IFSOCK: "a socket"
        case S_IFCHR, S_IFBLK: "a device"
        case S_IFLNK: "a symbolic link"
        default: "a special file"
        }
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }

    private static func retryingInterrupts<T: BinaryInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result >= 0 || errno != EINTR { return result }
        }
    }
}
