import Foundation

/// What `intake plugins` (and `intake status`) show about one subscriber: its kind, patterns,
/// backlog and, for a plugin, its run counters, last error and events waiting for a retry.
/// Read from the spool alone, so it works whether the daemon runs or not.
public struct SubscriberReport: Encodable, Sendable, Equatable {
    public let name: String
    /// `plugin` when `HOME/plugins/NAME` exists, else `external`.
    public let kind: String
    public let patterns: [String]
    public let new: Int
    public let cur: Int
    public let failed: Int
    public let runs: Int
    public let failures: Int
    public let lastError: String?
    /// Events of a plugin that failed and wait for another attempt (`PluginRetries`).
    public let retrying: Int
    /// Unix milliseconds at which the first of them is due, when some wait.
    public let nextRetryAt: Int64?

    /// One report per subscriber, by name.
    public static func all(home: Home) throws -> [SubscriberReport] {
        let spool = Spool(root: home.spool)
        return try spool.subscribers().map { subscriber in
            let stats = PluginStats.load(subscriber)
            let retries = PluginRetries.load(subscriber).entries.values
            let count = { (folder: String) in
                ((try? SpoolFiles.names(in: folder)) ?? []).filter { $0.hasSuffix(".json") }.count
            }
            let isPlugin = access(home.plugins + "/" + subscriber.name, X_OK) == 0
            return SubscriberReport(
                name: subscriber.name, kind: isPlugin ? "plugin" : "external",
                patterns: subscriber.patterns.map(\.text), new: count(subscriber.new),
                cur: count(subscriber.cur), failed: count(subscriber.failed), runs: stats.runs,
                failures: stats.failures, lastError: stats.lastError, retrying: retries.count,
                nextRetryAt: retries.map(\.dueAt).min())
        }
    }
}
