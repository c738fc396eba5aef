import Foundation

/// One inotify instance watching a few folders (see inotify(7)); the runner's watcher thread
/// owns it. The descriptor is closed in `deinit`.
final class FolderWatch {
    /// One change reported by the kernel.
    struct Change {
        let watch: Int32
        let mask: UInt32
        let name: String
    }

    let descriptor: Int32

    init() throws(PluginError) {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            throw PluginError.system(function: "inotify_init1", path: "", errno: errno)
        }
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Watches `path` for `mask`; returns the watch descriptor.
    func add(_ path: String, mask: UInt32) throws(PluginError) -> Int32 {
        let watch = inotify_add_watch(descriptor, path, mask)
        guard watch >= 0 else {
            throw PluginError.system(function: "inotify_add_watch", path: path, errno: errno)
        }
        return watch
    }

    func remove(_ watch: Int32) {
        inotify_rm_watch(descriptor, watch)
    }

    /// Reads every change queued now (the descriptor is non-blocking). The name is read after
    /// the fixed 16-byte header, because Swift does not import the flexible `name` member.
    func read() -> [Change] {
        var changes: [Change] = []
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes {
                Glibc.read(descriptor, $0.baseAddress, $0.count)
            }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            var offset = 0
            buffer.withUnsafeBytes { bytes in
                while offset + 16 <= count {
                    let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(
                        bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = bytes[(offset + 16)..<min(count, offset + 16 + length)]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    changes.append(Change(watch: watch, mask: mask, name: name))
                    offset += 16 + length
                }
            }
        }
        return changes
    }
}
