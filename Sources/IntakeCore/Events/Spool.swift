import Foundation

/// The spool folder of the contract's section 6: `tmp/`, `events/YYYY-MM-DD/` and
/// `subscribers/<name>/{patterns,new,cur,failed}`, and the operations on subscribers that
/// commands and the plugin runner share.
public struct Spool: Sendable {
    /// `HOME/spool`.
    public let root: String
    /// Mode of the files it creates (`files.file_mode`).
    public let fileMode: UInt32
    /// Mode of the folders it creates (`files.folder_mode`).
    public let folderMode: UInt32

    public init(root: String, fileMode: UInt32 = 0o600, folderMode: UInt32 = 0o700) {
        self.root = root
        self.fileMode = fileMode
        self.folderMode = folderMode
    }

    public init(home: Home, configuration: Configuration = Configuration()) {
        self.init(
            root: home.spool, fileMode: configuration.files.fileMode,
            folderMode: configuration.files.folderMode)
    }

    public var tmp: String { root + "/tmp" }
    public var events: String { root + "/events" }
    public var subscribersFolder: String { root + "/subscribers" }

    /// Creates `spool/` and its three folders when missing.
    public func createLayout() throws(EventError) {
        for folder in [root, tmp, events, subscribersFolder] {
            try SpoolFiles.makeFolder(folder, mode: folderMode)
        }
    }

    /// The file name of an event: `<seq>.<eventType>.<eventId>.json`, with `seq` zero-padded
    /// to 12 digits so that names sort in publication order.
    public static func fileName(seq: Int64, eventType: String, eventID: String) -> String {
        let digits = String(seq)
        let padding = String(repeating: "0", count: max(0, 12 - digits.count))
        return "\(padding)\(digits).\(eventType).\(eventID).json"
    }

    /// The `events/YYYY-MM-DD` folder (UTC day) for an event created at `millis`.
    public func dayFolder(millis: Int64) -> String {
        events + "/" + Spool.day(millis: millis)
    }

    static func day(millis: Int64) -> String {
        var seconds = time_t(millis / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02d", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday)
    }

    /// The folder of subscriber `name` (checked).
    public func folder(of name: String) throws(EventError) -> String {
        try Subscriber.validate(name: name)
        return subscribersFolder + "/" + name
    }

    /// Every subscriber, by name: folders that hold a `patterns` file. A folder without one is
    /// not (or no longer) a subscriber and receives nothing.
    public func subscribers() throws(EventError) -> [Subscriber] {
        var found: [Subscriber] = []
        for name in try SpoolFiles.names(in: subscribersFolder) {
            guard (try? Subscriber.validate(name: name)) != nil else { continue }
            if let subscriber = subscriber(named: name) { found.append(subscriber) }
        }
        return found
    }

    /// Subscriber `name`, or nil when it does not exist or its name is not usable.
    public func subscriber(named name: String) -> Subscriber? {
        guard (try? Subscriber.validate(name: name)) != nil else { return nil }
        let folder = subscribersFolder + "/" + name
        guard let data = SpoolFiles.read(folder + "/patterns") else { return nil }
        let patterns = EventPattern.parseList(String(decoding: data, as: UTF8.self)).patterns
        return Subscriber(name: name, folder: folder, patterns: patterns)
    }

    /// Creates subscriber `name`, or replaces its patterns when it exists. Its folders are
    /// made first and the `patterns` file last (atomically), so the publisher never sees a
    /// subscriber it cannot deliver to.
    @discardableResult
    public func subscribe(name: String, patterns: [EventPattern]) throws(EventError)
        -> Subscriber
    {
        let folder = try folder(of: name)
        try createLayout()
        try SpoolFiles.makeFolder(folder, mode: folderMode)
        for sub in ["new", "cur", "failed"] {
            try SpoolFiles.makeFolder(folder + "/" + sub, mode: folderMode)
        }
        let text = patterns.map(\.text).joined(separator: "\n") + "\n"
        try SpoolFiles.writeAtomically(Data(text.utf8), to: folder + "/patterns", mode: fileMode)
        return Subscriber(name: name, folder: folder, patterns: patterns)
    }

    /// Removes subscriber `name` with everything in its folders. The `patterns` file goes
    /// first, so no event is delivered into a folder being removed.
    public func unsubscribe(name: String) throws(EventError) {
        let folder = try folder(of: name)
        guard SpoolFiles.exists(folder) else { throw EventError.unknownSubscriber(name) }
        try SpoolFiles.remove(folder + "/patterns")
        do {
            try FileManager.default.removeItem(atPath: folder)
        } catch {
            throw EventError.system(function: "remove", path: folder, errno: EIO)
        }
    }

    /// Moves every event in `failed/` of subscriber `name` back to `new/` (dropping the
    /// `.error` files), to be handled again. Returns how many were moved.
    @discardableResult
    public func retryFailed(name: String) throws(EventError) -> Int {
        guard let subscriber = subscriber(named: name) else {
            try Subscriber.validate(name: name)
            throw EventError.unknownSubscriber(name)
        }
        var moved = 0
        for file in try SpoolFiles.names(in: subscriber.failed) where file.hasSuffix(".json") {
            let source = subscriber.failed + "/" + file
            if try SpoolFiles.rename(source, to: subscriber.new + "/" + file) { moved += 1 }
            try SpoolFiles.remove(source + ".error")
        }
        return moved
    }

    /// Removes `tmp/` leftovers of an interrupted publisher. Only the publisher calls it, at
    /// its start, before any event is written.
    public func cleanTemporary() throws(EventError) {
        for name in try SpoolFiles.names(in: tmp) {
            try SpoolFiles.remove(tmp + "/" + name)
        }
    }

    /// Removes `events/` day folders older than `retentionDays` (by their UTC date). Never
    /// touches subscribers' folders: their files are other links to the same inodes, so a
    /// subscriber's backlog survives pruning. Returns the folders removed.
    @discardableResult
    public func prune(retentionDays: Int, now: Int64 = Clock.nowMillis()) throws(EventError)
        -> [String]
    {
        let oldest = Spool.day(millis: now - Int64(retentionDays) * 86_400_000)
        var removed: [String] = []
        for name in try SpoolFiles.names(in: events) where Spool.isDay(name) && name < oldest {
            let path = events + "/" + name
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                throw EventError.system(function: "remove", path: path, errno: EIO)
            }
            removed.append(path)
        }
        return removed
    }

    private static func isDay(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-")
        else { return false }
        return bytes.enumerated().allSatisfy { index, byte in
            index == 4 || index == 7 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
    }
}
