import Foundation

/// Where a command's results go: standard output, as lines of text or one JSON document.
public struct Output: Sendable {
    /// Whether standard output is a terminal (for progress lines).
    public let isTerminal: Bool

    public init() {
        self.isTerminal = isatty(1) == 1
    }

    /// Prints one line of text.
    public func line(_ text: String = "") {
        write(text + "\n")
    }

    /// Prints `value` as pretty, key-sorted JSON.
    public func json(_ value: some Encodable) throws {
        line(try Output.encode(value, pretty: true))
    }

    /// Prints `value` as one compact JSON line (for JSON-lines streams).
    public func jsonLine(_ value: some Encodable) throws {
        line(try Output.encode(value, pretty: false))
    }

    /// Prints `text` without a newline, straight away.
    public func write(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// Encodes `value` the way every intake JSON document is encoded: sorted keys, slashes kept.
    public static func encode(_ value: some Encodable, pretty: Bool) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty
            ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
