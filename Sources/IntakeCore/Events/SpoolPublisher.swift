import Foundation

/// Publishes events as files into the spool: each event is written and synced in `tmp/`,
/// hard-linked into the `new/` folder of every subscriber whose patterns match and into
/// `events/YYYY-MM-DD/`, then its `tmp/` name is removed. The folders touched are synced once
/// per batch, before the relay marks the batch published.
///
/// Republishing after a crash is safe: the `tmp/` file is always written afresh under a new
/// inode (never truncated in place, since an earlier link to it may already be visible), and a
/// link that already exists counts as delivered.
public struct SpoolPublisher: EventPublisher {
    public let spool: Spool
    public let retentionDays: Int
    /// False skips every fsync: only for benchmarks that measure what syncing costs.
    public let syncing: Bool

    public init(spool: Spool, retentionDays: Int = 14, syncing: Bool = true) {
        self.spool = spool
        self.retentionDays = retentionDays
        self.syncing = syncing
    }

    public func prepare() throws {
        try spool.createLayout()
        try spool.cleanTemporary()
    }

    public func publish(_ events: [OutboxEvent]) throws {
        guard !events.isEmpty else { return }
        // Subscribers are read once per batch: one created meanwhile receives events from the
        // next batch on, which is "published after it exists".
        let subscribers = try spool.subscribers()
        var touched: Set<String> = [spool.tmp]
        var written: [(event: OutboxEvent, name: String)] = []
        var open: [(descriptor: Int32, path: String)] = []
        defer { open.forEach { close($0.descriptor) } }
        for event in events {
            guard Self.isSafeName(event.eventType), Self.isSafeName(event.eventID) else {
                throw EventError.invalidEvent(
                    seq: event.seq, reason: "eventType or eventId is not usable in a file name")
            }
            let name = Spool.fileName(
                seq: event.seq, eventType: event.eventType, eventID: event.eventID)
            let temporary = spool.tmp + "/" + name
            try SpoolFiles.remove(temporary)
            let descriptor = try SpoolFiles.writeUnsynced(
                Data(event.body.utf8), to: temporary, mode: spool.fileMode)
            open.append((descriptor, temporary))
            written.append((event, name))
        }
        // Every file is complete and on disk before the first link makes any of them visible.
        // A large batch is synced with one syncfs(2) rather than one fsync per file: the files
        // share a file system, and one flush of it costs about what one fsync does.
        let wholeFileSystem = syncing && open.count >= SpoolPublisher.syncfsThreshold
        if wholeFileSystem, let first = open.first {
            try SpoolFiles.syncFileSystem(first.descriptor, path: first.path)
        }
        while let file = open.popLast() {
            if syncing && !wholeFileSystem {
                try SpoolFiles.syncAndClose(file.descriptor, path: file.path)
            } else {
                close(file.descriptor)
            }
        }
        for (event, name) in written {
            let temporary = spool.tmp + "/" + name
            for subscriber in subscribers where subscriber.receives(event.eventType) {
                try linkCreatingFolder(temporary, into: subscriber.new, name: name)
                touched.insert(subscriber.new)
            }
            let day = spool.dayFolder(millis: event.createdAt)
            try linkCreatingFolder(temporary, into: day, name: name)
            touched.insert(day)
            try SpoolFiles.remove(temporary)
        }
        if wholeFileSystem {
            try SpoolFiles.syncFileSystem(of: spool.tmp)
        } else if syncing {
            for folder in touched.sorted() {
                try SpoolFiles.syncFolder(folder)
            }
        }
    }

    /// From this many events in a batch on, the batch is synced with syncfs(2). Known
    /// limitation: syncfs also flushes what other programs wrote to the same file system, so
    /// on a busy disk a large batch can wait for their data too.
    static let syncfsThreshold = 8

    public func maintain(now: Int64) throws {
        try spool.prune(retentionDays: retentionDays, now: now)
    }

    private func linkCreatingFolder(_ source: String, into folder: String, name: String) throws {
        do {
            try SpoolFiles.link(source, to: folder + "/" + name)
        } catch EventError.system(_, _, let number) where number == ENOENT {
            // A day folder not made yet, or a subscriber's `new/` removed by hand.
            if folder.hasPrefix(spool.events) {
                try SpoolFiles.makeFolder(spool.events, mode: spool.folderMode)
            }
            try SpoolFiles.makeFolder(folder, mode: spool.folderMode)
            try SpoolFiles.link(source, to: folder + "/" + name)
        }
    }

    /// Event types and ids become parts of file names: no `/`, no NUL, not empty, no `..`.
    private static func isSafeName(_ text: String) -> Bool {
        !text.isEmpty && !text.contains("/") && !text.contains("\0") && !text.contains("..")
    }
}
