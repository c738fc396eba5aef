import Foundation

/// An event-type pattern of a subscriber: `*` matches any run of characters (`image.*`,
/// `task.failed`, `*`); every other character matches itself.
public struct EventPattern: Sendable, Hashable, CustomStringConvertible {
    /// The pattern as written.
    public let text: String
    private let bytes: [UInt8]

    /// Checks `text`: non-empty, at most 200 characters of letters, digits, `.`, `_`, `-`, `*`.
    public init(_ text: String) throws(EventError) {
        let allowed = text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "-"), UInt8(ascii: "*"):
                true
            default:
                false
            }
        }
        guard allowed, !text.isEmpty, text.utf8.count <= 200 else {
            throw EventError.invalidPattern(text)
        }
        self.text = text
        self.bytes = Array(text.utf8)
    }

    public var description: String { text }

    /// `*`: every event.
    public static let everything = try! EventPattern("*")

    /// True when `eventType` matches the whole pattern.
    public func matches(_ eventType: String) -> Bool {
        let subject = Array(eventType.utf8)
        // Classic wildcard matching with one backtrack point: on a mismatch after a `*`, let
        // that `*` swallow one more character. Linear in practice for patterns this short.
        var patternIndex = 0
        var subjectIndex = 0
        var star: Int?
        var starSubject = 0
        while subjectIndex < subject.count {
            if patternIndex < bytes.count, bytes[patternIndex] == UInt8(ascii: "*") {
                star = patternIndex
                starSubject = subjectIndex
                patternIndex += 1
            } else if patternIndex < bytes.count, bytes[patternIndex] == subject[subjectIndex] {
                patternIndex += 1
                subjectIndex += 1
            } else if let star {
                patternIndex = star + 1
                starSubject += 1
                subjectIndex = starSubject
            } else {
                return false
            }
        }
        while patternIndex < bytes.count, bytes[patternIndex] == UInt8(ascii: "*") {
            patternIndex += 1
        }
        return patternIndex == bytes.count
    }

    /// Parses a patterns file: one pattern a line (several on a line, separated by spaces, are
    /// accepted too); blank lines and lines starting with `#` are skipped. Words that are not
    /// usable patterns are returned in `refused` rather than failing the whole file, so that one
    /// typo in a hand-written file does not silence a subscriber's other patterns.
    public static func parseList(_ text: String) -> (patterns: [EventPattern], refused: [String]) {
        var patterns: [EventPattern] = []
        var refused: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            for word in trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
                if let pattern = try? EventPattern(String(word)) {
                    patterns.append(pattern)
                } else {
                    refused.append(String(word))
                }
            }
        }
        return (patterns, refused)
    }
}
