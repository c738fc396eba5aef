import Foundation

/// The inotify instance watching the inbox tree: it owns the descriptor and one watch per
/// folder, and turns the kernel's event records into the changes the inbox acts on.
///
/// Folders created or moved in are watched as soon as their event is read, and scanned right
/// after, because files can land in a new folder before its watch exists. Folders moved out lose
/// their watches. Anything that may have lost events (a queue overflow, a watch gone while its
/// folder is still there) asks for a rescan. When the kernel's watch limit is reached the rest
/// of the tree goes unwatched: that is logged once, and the periodic rescan still finds the
/// files there.
///
/// Not `Sendable`: one thread (the inbox's) owns it.
final class InboxWatcher {
    /// What the inbox does about the events read.
    enum Change: Equatable {
        /// A file was closed after writing, moved in, or found in a new folder.
        case candidate(String)
        /// Something that is not a folder appeared without being written (a symbolic link, a
        /// FIFO, a socket, a hard link): a candidate if it is not a regular file.
        case created(String)
        /// Events may have been lost; the whole tree must be scanned.
        case rescan(reason: String)
    }

    let root: String
    let rules: IgnoreRules
    let recursive: Bool
    /// The inotify descriptor, for `poll(2)`.
    let descriptor: Int32
    private let logger: Logger
    private var paths: [Int32: String] = [:]
    private var watches: [String: Int32] = [:]
    private var limitLogged = false
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    /// The events every folder watch asks for. `IN_CREATE` is there for new folders and for
    /// entries that are never written (links, FIFOs); files are taken on `IN_CLOSE_WRITE` or
    /// `IN_MOVED_TO` (inotify(7)).
    static let mask = UInt32(
        IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE_SELF | IN_MOVE_SELF
            | IN_ONLYDIR | IN_DONT_FOLLOW)

    init(root: String, rules: IgnoreRules, recursive: Bool, logger: Logger) throws(InboxError) {
        let descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else {
            throw InboxError.system(function: "inotify_init1", path: root, errno: errno)
        }
        self.descriptor = descriptor
        self.root = root
        self.rules = rules
        self.recursive = recursive
        self.logger = logger
    }

    deinit {
        close(descriptor)
    }

    /// The number of folders watched.
    var watchCount: Int { watches.count }

    /// True when `path` has a watch.
    func isWatched(_ path: String) -> Bool { watches[path] != nil }

    /// Watches `folder` and, when recursive, every folder below it that is not ignored, and
    /// calls `found` with every entry that is not a folder. A folder already watched keeps its
    /// watch and is still scanned.
    func watchTree(_ folder: String, found: (String) -> Void) {
        addWatch(folder)
        var pending = [folder]
        while let current = pending.popLast() {
            InboxWatcher.forEachEntry(in: current) { name, isFolder in
                guard !rules.ignores(name) else { return }
                let path = current + "/" + name
                if isFolder {
                    guard recursive else { return }
                    addWatch(path)
                    pending.append(path)
                } else {
                    found(path)
                }
            }
        }
    }

    /// Reads every event record waiting on the descriptor and returns what to do about them.
    func readChanges() -> [Change] {
        var changes: [Change] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { break }
            var offset = 0
            while offset + 16 <= count {
                let (wd, mask, length) = buffer.withUnsafeBytes { raw in
                    (
                        raw.loadUnaligned(fromByteOffset: offset, as: Int32.self),
                        raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self),
                        Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    )
                }
                let nameBytes = buffer[(offset + 16)..<(offset + 16 + length)]
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                offset += 16 + length
                handle(wd: wd, mask: mask, name: name, into: &changes)
            }
        }
        return changes
    }

    private func handle(wd: Int32, mask: UInt32, name: String, into changes: inout [Change]) {
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            changes.append(.rescan(reason: "inotify queue overflow"))
            return
        }
        if mask & UInt32(IN_IGNORED) != 0 {
            // The kernel dropped the watch: its folder was deleted, moved out of the file
            // system or unmounted. A watch removed by us is no longer in `paths`.
            guard let path = paths.removeValue(forKey: wd) else { return }
            watches.removeValue(forKey: path)
            var status = stat()
            if lstat(path, &status) == 0 {
                changes.append(.rescan(reason: "watch removed while its folder remains"))
            }
            return
        }
        guard let folder = paths[wd] else { return }
        if mask & UInt32(IN_DELETE_SELF | IN_MOVE_SELF) != 0 {
            if folder == root {
                changes.append(.rescan(reason: "the inbox folder itself was moved or deleted"))
            }
            return
        }
        guard !name.isEmpty, !rules.ignores(name) else { return }
        let path = folder + "/" + name
        let isFolder = mask & UInt32(IN_ISDIR) != 0
        if isFolder {
            if mask & UInt32(IN_MOVED_FROM) != 0 {
                removeWatches(under: path)
            } else if recursive && mask & UInt32(IN_CREATE | IN_MOVED_TO) != 0 {
                watchTree(path) { changes.append(.candidate($0)) }
            }
            return
        }
        if mask & UInt32(IN_CLOSE_WRITE | IN_MOVED_TO) != 0 {
            changes.append(.candidate(path))
        } else if mask & UInt32(IN_CREATE) != 0 {
            changes.append(.created(path))
        }
    }

    private func addWatch(_ folder: String) {
        // The inbox itself may be a symbolic link to a folder elsewhere; nothing below it is
        // ever followed.
        let mask = folder == root ? InboxWatcher.mask & ~UInt32(IN_DONT_FOLLOW) : InboxWatcher.mask
        let wd = inotify_add_watch(descriptor, folder, mask)
        guard wd >= 0 else {
            let code = errno
            if code == ENOSPC {
                if !limitLogged {
                    limitLogged = true
                    // Folders past the limit are found by the periodic rescan only.
                    logger.warning(
                        "inotify watch limit reached, raise fs.inotify.max_user_watches",
                        ("path", folder), ("watches", "\(watches.count)"))
                }
            } else if code != ENOENT && code != ENOTDIR {
                logger.warning(
                    "cannot watch folder", ("path", folder),
                    ("error", String(cString: strerror(code))))
            }
            return
        }
        if let old = paths[wd], old != folder {
            watches.removeValue(forKey: old)
        }
        paths[wd] = folder
        watches[folder] = wd
    }

    private func removeWatches(under folder: String) {
        let prefix = folder + "/"
        for (path, wd) in watches where path == folder || path.hasPrefix(prefix) {
            inotify_rm_watch(descriptor, wd)
            watches.removeValue(forKey: path)
            paths.removeValue(forKey: wd)
        }
    }

    /// Calls `body` with the name of every entry of `folder` and whether it is a folder (never
    /// following a symbolic link). A folder that cannot be read is skipped.
    ///
    /// Known limitation: names that are not valid UTF-8 cannot be taken, because paths are
    /// Swift strings here and such a name does not survive the round trip; those files stay
    /// in the inbox.
    static func forEachEntry(in folder: String, _ body: (String, Bool) -> Void) {
        guard let directory = opendir(folder) else { return }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { pointer in
                pointer.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            var isFolder = Int32(entry.pointee.d_type) == DT_DIR
            if Int32(entry.pointee.d_type) == DT_UNKNOWN {
                var status = stat()
                isFolder =
                    lstat(folder + "/" + name, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR
            }
            body(name, isFolder)
        }
    }
}
