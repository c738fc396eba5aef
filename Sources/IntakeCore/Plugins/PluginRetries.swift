import Foundation

/// The events of one plugin that failed and wait for another run: how many attempts each has
/// used and when its next run is due. Kept in the subscriber's `retries.json`, so that a
/// restart of the daemon neither gives a failing event its attempts back nor runs it again
/// before its backoff ends. The file exists only while some event waits.
struct PluginRetries: Codable, Sendable, Equatable {
    /// One waiting event.
    struct Entry: Codable, Sendable, Equatable {
        /// Runs that failed so far.
        var attempts: Int
        /// Unix milliseconds at which the next run is due.
        var dueAt: Int64
    }

    /// By the event's file name in `new/`.
    var entries: [String: Entry] = [:]

    /// What `subscriber`'s file records, or nothing waiting when there is no readable file.
    static func load(_ subscriber: Subscriber) -> PluginRetries {
        guard let data = SpoolFiles.read(subscriber.retriesFile),
            let retries = try? JSONDecoder().decode(PluginRetries.self, from: data)
        else { return PluginRetries() }
        return retries
    }

    /// Writes the record atomically, or removes the file when nothing waits.
    func save(_ subscriber: Subscriber, mode: UInt32) throws {
        guard !entries.isEmpty else {
            try SpoolFiles.remove(subscriber.retriesFile)
            return
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try SpoolFiles.writeAtomically(
            try encoder.encode(self), to: subscriber.retriesFile, mode: mode)
    }
}
