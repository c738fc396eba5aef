import Foundation

/// The counters of one plugin's subscriber, kept by the runner in the subscriber's
/// `stats.json` so that `intake plugins` can show them from another process.
public struct PluginStats: Codable, Sendable, Equatable {
    /// Runs since the subscriber was created, retries included.
    public var runs = 0
    /// Runs that did not end with exit 0.
    public var failures = 0
    /// Events given up on (moved to `failed/`).
    public var gaveUp = 0
    /// Why the last failed run failed.
    public var lastError: String?
    /// Unix milliseconds of the last failed run.
    public var lastErrorAt: Int64?
    /// Unix milliseconds of the last run.
    public var lastRunAt: Int64?

    public init() {}

    /// The stats stored for `subscriber`, or empty ones.
    public static func load(_ subscriber: Subscriber) -> PluginStats {
        guard let data = SpoolFiles.read(subscriber.statsFile),
            let stats = try? JSONDecoder().decode(PluginStats.self, from: data)
        else { return PluginStats() }
        return stats
    }

    func save(_ subscriber: Subscriber, mode: UInt32) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try SpoolFiles.writeAtomically(
            try encoder.encode(self), to: subscriber.statsFile, mode: mode)
    }
}
