import Foundation

/// One subscriber of the spool: a folder `spool/subscribers/<name>/` with a `patterns` file and
/// the `new/`, `cur/` and `failed/` folders its events pass through.
public struct Subscriber: Sendable, Equatable {
    /// The subscriber's name, checked by `Subscriber.validate(name:)`.
    public let name: String
    /// The subscriber's folder.
    public let folder: String
    /// The patterns it receives; empty means it receives nothing.
    public let patterns: [EventPattern]

    public var new: String { folder + "/new" }
    public var cur: String { folder + "/cur" }
    public var failed: String { folder + "/failed" }
    public var patternsFile: String { folder + "/patterns" }
    /// Counters the plugin runner keeps for a plugin's subscriber (`intake plugins` reads them).
    public var statsFile: String { folder + "/stats.json" }
    /// The plugin runner's record of events waiting for another run (`PluginRetries`).
    public var retriesFile: String { folder + "/retries.json" }

    /// True when any of its patterns matches `eventType`.
    public func receives(_ eventType: String) -> Bool {
        patterns.contains { $0.matches(eventType) }
    }

    /// Checks a subscriber (and plugin) name: 1 to 64 of `[A-Za-z0-9_-]`, which also rules out
    /// every path trick (`..`, `/`, hidden names).
    public static func validate(name: String) throws(EventError) {
        let usable =
            !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    true
                default:
                    false
                }
            }
        guard usable else { throw EventError.invalidSubscriberName(name) }
    }
}
