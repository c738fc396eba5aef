import Foundation

/// Reads `intake.toml` into a `Configuration`, strictly: an unknown table or key, a value of
/// the wrong type, or a value out of range is a `ConfigurationError` naming file, line and key.
public enum ConfigurationLoader {
    /// One known key: where it lives and how its value is checked and stored.
    struct Key: Sendable {
        let table: String
        let name: String
        let apply: @Sendable (inout Configuration, TOMLValue) throws(KeyProblem) -> Void
        /// True when two configurations hold different values for this key.
        let differs: @Sendable (Configuration, Configuration) -> Bool

        init<Value: Equatable & Sendable>(
            table: String, name: String, path: WritableKeyPath<Configuration, Value> & Sendable,
            apply: @escaping @Sendable (inout Configuration, TOMLValue) throws(KeyProblem) -> Void
        ) {
            self.table = table
            self.name = name
            self.apply = apply
            self.differs = { $0[keyPath: path] != $1[keyPath: path] }
        }
    }

    /// Why a value was refused; the loader adds the file, line and key.
    struct KeyProblem: Error {
        let reason: String
    }

    /// Reads `file`; a missing file at the default location means all defaults.
    public static func load(file: String, mustExist: Bool) throws(ConfigurationError)
        -> Configuration
    {
        guard let data = FileManager.default.contents(atPath: file) else {
            if !mustExist && !FileManager.default.fileExists(atPath: file) {
                return Configuration()
            }
            throw ConfigurationError(file: file, line: 0, key: "", reason: "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: file, line: 0, key: "", reason: "is not UTF-8 text")
        }
        return try parse(text, file: file)
    }

    /// Parses configuration text; `file` names it in errors.
    public static func parse(_ text: String, file: String) throws(ConfigurationError)
        -> Configuration
    {
        var configuration = Configuration()
        for entry in try TOMLReader.parse(text, file: file) {
            let fullKey = entry.table.isEmpty ? entry.key : "\(entry.table).\(entry.key)"
            guard knownTables.contains(entry.table) else {
                let reason =
                    entry.table.isEmpty
                    ? "unknown key (every key belongs in a table such as [inbox])"
                    : "unknown table [\(entry.table)]"
                throw ConfigurationError(file: file, line: entry.line, key: fullKey, reason: reason)
            }
            guard let key = keys.first(where: { $0.table == entry.table && $0.name == entry.key })
            else {
                throw ConfigurationError(
                    file: file, line: entry.line, key: fullKey, reason: "unknown key")
            }
            do {
                try key.apply(&configuration, entry.value)
            } catch {
                throw ConfigurationError(
                    file: file, line: entry.line, key: fullKey, reason: error.reason)
            }
        }
        return configuration
    }

    /// Every key, as `table.key`, in the order of `etc/intake.toml`.
    public static var keyNames: [String] { keys.map { "\($0.table).\($0.name)" } }

    static var knownTables: Set<String> { Set(keys.map(\.table)) }

    /// The keys, as `table.key` in the order of `keyNames`, whose values differ between `old`
    /// and `new`.
    public static func changedKeys(from old: Configuration, to new: Configuration) -> [String] {
        keys.filter { $0.differs(old, new) }.map { "\($0.table).\($0.name)" }
    }

    static let keys: [Key] = [
        int("inbox", "settle_ms", 0...600_000, \.inbox.settleMillis),
        int("inbox", "rescan_s", 1...86_400, \.inbox.rescanSeconds),
        strings("inbox", "ignore", \.inbox.ignore),
        bool("inbox", "recursive", \.inbox.recursive),
        int("inbox", "max_urls", 1...100_000_000, \.inbox.maxURLs),
        int("download", "concurrency", 1...256, \.download.concurrency),
        int("download", "per_host", 1...64, \.download.perHost),
        int("download", "connect_timeout_s", 1...600, \.download.connectTimeoutSeconds),
        int("download", "timeout_s", 1...86_400, \.download.timeoutSeconds),
        int(
            "download", "low_speed_bytes_per_s", 0...1_000_000_000,
            \.download.lowSpeedBytesPerSecond),
        int("download", "low_speed_s", 1...3_600, \.download.lowSpeedSeconds),
        int64("download", "max_bytes", 1...(1 << 40), \.download.maxBytes),
        int("download", "max_redirects", 0...50, \.download.maxRedirects),
        int("download", "max_attempts", 1...100, \.download.maxAttempts),
        string("download", "user_agent", \.download.userAgent),
        bool("download", "allow_private_addresses", \.download.allowPrivateAddresses),
        int("metadata", "concurrency", 1...256, \.metadata.concurrency),
        int("metadata", "max_attempts", 1...100, \.metadata.maxAttempts),
        int("analysis", "concurrency", 0...256, \.analysis.concurrency),
        int("analysis", "max_attempts", 1...100, \.analysis.maxAttempts),
        int("analysis", "near_duplicate_bits", 0...32, \.analysis.nearDuplicateBits),
        int("analysis", "thumbnail_px", 16...4096, \.analysis.thumbnailPixels),
        int("analysis", "max_pixels", 1...1_000_000_000, \.analysis.maxPixels),
        strings("analysis", "command", \.analysis.command),
        int("analysis", "command_timeout_s", 1...3_600, \.analysis.commandTimeoutSeconds),
        choice("store", "duplicates", \.store.duplicates),
        int("plugins", "timeout_s", 1...86_400, \.plugins.timeoutSeconds),
        int("plugins", "max_attempts", 1...100, \.plugins.maxAttempts),
        int("plugins", "concurrency", 1...256, \.plugins.concurrency),
        int("spool", "retention_days", 1...36_500, \.spool.retentionDays),
        level("log", "level", \.log.level),
        choice("log", "format", \.log.format),
        mode("files", "file_mode", \.files.fileMode),
        mode("files", "folder_mode", \.files.folderMode),
        int("files", "min_free_mb", 0...1_000_000, \.files.minFreeMegabytes),
    ]

    private static func int(
        _ table: String, _ name: String, _ range: ClosedRange<Int>,
        _ path: WritableKeyPath<Configuration, Int> & Sendable
    ) -> Key {
        Key(table: table, name: name, path: path) { configuration, value throws(KeyProblem) in
            guard case .integer(let number) = value else { throw wrongType(value, "an integer") }
            guard let small = Int(exactly: number), range.contains(small) else {
                throw KeyProblem(
                    reason: "\(number) is out of range (\(range.lowerBound)...\(range.upperBound))")
            }
            configuration[keyPath: path] = small
        }
    }

    private static func int64(
        _ table: String, _ name: String, _ range: ClosedRange<Int64>,
        _ path: WritableKeyPath<Configuration, Int64> & Sendable
    ) -> Key {
        Key(table: table, name: name, path: path) { configuration, value throws(KeyProblem) in
            guard case .integer(let number) = value else { throw wrongType(value, "an integer") }
            guard range.contains(number) else {
                throw KeyProblem(
                    reason: "\(number) is out of range (\(range.lowerBound)...\(range.upperBound))")
            }
            configuration[keyPath: path] = number
        }
    }

    private static func bool(
        _ table: String, _ name: String, _ path: WritableKeyPath<Configuration, Bool> & Sendable
    ) -> Key {
        Key(table: table, name: name, path: path) { configuration, value throws(KeyProblem) in
            guard case .boolean(let flag) = value else { throw wrongType(value, "true or false") }
            configuration[keyPath: path] = flag
        }
    }

    private static func string(
        _ table: String, _ name: String, _ path: WritableKeyPath<Configuration, String> & Sendable
    ) -> Key {
        Key(table: table, name: name, path: path) { configuration, value throws(KeyProblem) in
            guard case .string(let text) = value else { throw wrongType(value, "a string") }
            configuration[keyPath: path] = text
        }
    }

    private static func strings(
        _ table: String, _ name: String,
        _ path: WritableKeyPath<Configuration, [String]> & Sendable
    ) -> Key {
        Key(table: table, name: name, path: path) { configuration, value throws(KeyProblem) in
            guard case .array(let items) = value else {
                throw wrongType(value, "an array of strings")
            }
            var texts: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw wrongType(item, "an array of strings")
                }
                texts.append(text)
            }
            configuration[keyPath: path] = texts
        }
    }

    private static func choice<T: RawRepresentable & CaseIterable & Equatable & Sendable>(
        _ table: String, _ name: String, _ path: WritableKeyPath<Configuration, T> & Sendable
    ) -> Key where T.RawValue == String {
        Key(table: table, name: name, path: path) { configuration, value throws(KeyProblem) in
            guard case .string(let text) = value else { throw wrongType(value, "a string") }
            guard let chosen = T(rawValue: text) else {
                let allowed = T.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
                throw KeyProblem(reason: "\"\(text)\" is not one of \(allowed)")
            }
            configuration[keyPath: path] = chosen
        }
    }

    private static func level(
        _ table: String, _ name: String,
        _ path: WritableKeyPath<Configuration, Logger.Level> & Sendable
    ) -> Key {
        Key(table: table, name: name, path: path) { configuration, value throws(KeyProblem) in
            guard case .string(let text) = value else { throw wrongType(value, "a string") }
            guard let level = Logger.Level(name: text) else {
                let allowed = Logger.Level.allCases.map { "\"\($0.name)\"" }
                throw KeyProblem(
                    reason: "\"\(text)\" is not one of \(allowed.joined(separator: ", "))")
            }
            configuration[keyPath: path] = level
        }
    }

    private static func mode(
        _ table: String, _ name: String, _ path: WritableKeyPath<Configuration, UInt32> & Sendable
    ) -> Key {
        Key(table: table, name: name, path: path) { configuration, value throws(KeyProblem) in
            guard case .string(let text) = value else {
                throw wrongType(value, "an octal mode in a string, such as \"0640\"")
            }
            guard let mode = UInt32(text, radix: 8), mode <= 0o777 else {
                throw KeyProblem(reason: "\"\(text)\" is not an octal mode such as \"0640\"")
            }
            configuration[keyPath: path] = mode
        }
    }

    private static func wrongType(_ value: TOMLValue, _ expected: String) -> KeyProblem {
        KeyProblem(reason: "expected \(expected), found a \(value.typeName)")
    }
}
