import Foundation
import Synchronization

/// Line-oriented logging to standard error: constant messages with details as key=value pairs
/// (`task.id=... path=...`), as text for people or JSON lines for machines.
///
/// A `Logger` is a cheap value; copies share one sink, which serialises writes so that lines
/// from concurrent tasks never interleave, and one level, which `setLevel` changes for all.
public struct Logger: Sendable {
    /// How much to log: each level includes the ones after it.
    public enum Level: Int, Sendable, Comparable, CaseIterable {
        case debug, info, warning, error

        /// The name used in configuration and in log lines.
        public var name: String {
            switch self {
            case .debug: "debug"
            case .info: "info"
            case .warning: "warning"
            case .error: "error"
            }
        }

        public init?(name: String) {
            guard let level = Level.allCases.first(where: { $0.name == name }) else { return nil }
            self = level
        }

        public static func < (lhs: Level, rhs: Level) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// How lines are written.
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    /// One detail of a log line.
    public typealias Detail = (key: String, value: String)

    public let format: Format
    private let sink: LogSink

    /// A logger writing lines at or above `level` to `fileDescriptor` (standard error).
    public init(level: Level = .info, format: Format = .text, fileDescriptor: Int32 = 2) {
        self.format = format
        self.sink = LogSink(fileDescriptor: fileDescriptor, level: level)
    }

    /// The lowest level written, shared by every copy of this logger.
    public var level: Level {
        Level(rawValue: sink.threshold.load(ordering: .relaxed)) ?? .info
    }

    /// Changes the level of this logger and of every copy of it (SIGHUP's reload).
    public func setLevel(_ level: Level) {
        sink.threshold.store(level.rawValue, ordering: .relaxed)
    }

    /// A logger that writes nothing, for code run outside the daemon.
    public static var silent: Logger { Logger(level: .error, fileDescriptor: -1) }

    public func debug(_ message: StaticString, _ details: Detail...) {
        log(.debug, message, details)
    }

    public func info(_ message: StaticString, _ details: Detail...) {
        log(.info, message, details)
    }

    public func warning(_ message: StaticString, _ details: Detail...) {
        log(.warning, message, details)
    }

    public func error(_ message: StaticString, _ details: Detail...) {
        log(.error, message, details)
    }

    /// Writes one line when `level` is enabled.
    public func log(_ level: Level, _ message: StaticString, _ details: [Detail]) {
        guard level.rawValue >= sink.threshold.load(ordering: .relaxed), sink.fileDescriptor >= 0
        else { return }
        let time = Logger.timestamp()
        let line: String
        switch format {
        case .text:
            var text = "\(time) \(level.name.padding(toLength: 7, withPad: " ", startingAt: 0))"
            text += "\(message)"
            for detail in details {
                text += " \(detail.key)=\(Logger.quotedIfNeeded(detail.value))"
            }
            line = text
        case .json:
            var object: [String: String] = ["time": time, "level": level.name, "msg": "\(message)"]
            for detail in details {
                object[detail.key] = detail.value
            }
            let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
            line = data.flatMap { String(data: $0, encoding: .utf8) } ?? "\(message)"
        }
        sink.write(line + "\n")
    }

    /// Quotes a value holding spaces, quotes or control characters, so lines stay parseable.
    static func quotedIfNeeded(_ value: String) -> String {
        let plain =
            !value.isEmpty
            && value.unicodeScalars.allSatisfy {
                $0.value > 0x20 && $0 != "\"" && $0 != "=" && $0.value != 0x7F
            }
        if plain { return value }
        var quoted = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": quoted += "\\\""
            case "\\": quoted += "\\\\"
            case "\n": quoted += "\\n"
            case "\t": quoted += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                quoted += String(format: "\\x%02x", scalar.value)
            default: quoted.unicodeScalars.append(scalar)
            }
        }
        return quoted + "\""
    }

    /// UTC time with milliseconds, ISO 8601.
    static func timestamp() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var seconds = spec.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1,
            parts.tm_mday, parts.tm_hour, parts.tm_min, parts.tm_sec, Int(spec.tv_nsec / 1_000_000))
    }
}
