import Foundation

/// A strict reader of the part of TOML (https://toml.io/en/v1.0.0) that `intake.toml` uses:
/// `[table]` headers, `key = value` lines, basic and literal strings, integers (with `_`),
/// floats, booleans, arrays (which may span lines), and `#` comments.
///
/// Anything else (inline tables, arrays of tables, dates, multi-line strings, dotted keys) is
/// refused with the line it is on, rather than guessed at.
public struct TOMLReader {
    /// One `key = value` line, with the table it belongs to.
    public struct Entry: Sendable, Equatable {
        public let table: String
        public let key: String
        public let value: TOMLValue
        public let line: Int
    }

    private let file: String
    private let scalars: [Unicode.Scalar]
    private var position = 0
    private var line = 1

    private init(text: String, file: String) {
        self.file = file
        self.scalars = Array(text.unicodeScalars)
    }

    /// Every entry of `text`, in file order. Repeated tables or keys are errors.
    public static func parse(_ text: String, file: String) throws(ConfigurationError) -> [Entry] {
        var reader = TOMLReader(text: text, file: file)
        return try reader.document()
    }

    private mutating func document() throws(ConfigurationError) -> [Entry] {
        var entries: [Entry] = []
        var table = ""
        var seenTables: Set<String> = []
        var seenKeys: Set<String> = []
        while true {
            skipBlank()
            guard let scalar = peek() else { return entries }
            if scalar == "\n" {
                advance()
                continue
            }
            if scalar == "[" {
                advance()
                if peek() == "[" { throw failure("arrays of tables are not supported") }
                skipSpaces()
                table = try bareKey()
                skipSpaces()
                guard peek() == "]" else { throw failure("expected ']' after the table name") }
                advance()
                guard seenTables.insert(table).inserted else {
                    throw failure("table [\(table)] appears twice")
                }
                try endOfLine()
                continue
            }
            let keyLine = line
            let key = try keyName()
            skipSpaces()
            guard peek() == "=" else { throw failure("expected '=' after \(key)") }
            advance()
            skipSpaces()
            let fullKey = table.isEmpty ? key : "\(table).\(key)"
            let value = try self.value(key: fullKey)
            guard seenKeys.insert(fullKey).inserted else {
                throw failure("\(fullKey) is set twice", key: fullKey)
            }
            entries.append(Entry(table: table, key: key, value: value, line: keyLine))
            try endOfLine()
        }
    }

    private mutating func keyName() throws(ConfigurationError) -> String {
        if peek() == "\"" || peek() == "'" {
            advance()
            return peekBack() == "\"" ? try basicString() : try literalString()
        }
        let key = try bareKey()
        if peek() == "." { throw failure("dotted keys are not supported") }
        return key
    }

    private mutating func bareKey() throws(ConfigurationError) -> String {
        var key = ""
        while let scalar = peek(), isBareKeyScalar(scalar) {
            key.unicodeScalars.append(scalar)
            advance()
        }
        guard !key.isEmpty else { throw failure("expected a key name") }
        return key
    }

    private func isBareKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
            || ("0"..."9").contains(scalar) || scalar == "_" || scalar == "-"
    }

    private mutating func value(key: String) throws(ConfigurationError) -> TOMLValue {
        guard let scalar = peek() else { throw failure("missing value for \(key)") }
        switch scalar {
        case "\"":
            advance()
            if peek() == "\"" && peekAhead(1) == "\"" {
                throw failure("multi-line strings are not supported", key: key)
            }
            return .string(try basicString())
        case "'":
            advance()
            return .string(try literalString())
        case "[":
            advance()
            return .array(try array(key: key))
        case "{":
            throw failure("inline tables are not supported", key: key)
        default:
            return try bareValue(key: key)
        }
    }

    private mutating func array(key: String) throws(ConfigurationError) -> [TOMLValue] {
        var items: [TOMLValue] = []
        while true {
            skipBlankAndNewlines()
            if peek() == "]" {
                advance()
                return items
            }
            items.append(try value(key: key))
            skipBlankAndNewlines()
            if peek() == "," {
                advance()
            } else if peek() != "]" {
                throw failure("expected ',' or ']' in the array", key: key)
            }
        }
    }

    private mutating func bareValue(key: String) throws(ConfigurationError) -> TOMLValue {
        var text = ""
        while let scalar = peek(), !" \t\r\n,]#".unicodeScalars.contains(scalar) {
            text.unicodeScalars.append(scalar)
            advance()
        }
        if text == "true" { return .boolean(true) }
        if text == "false" { return .boolean(false) }
        let digits = text.replacingOccurrences(of: "_", with: "")
        let validUnderscores =
            !text.hasPrefix("_") && !text.hasSuffix("_")
            && !text.contains("__")
        if validUnderscores, let number = Int64(digits) {
            return .integer(number)
        }
        if validUnderscores, digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }),
            let number = Double(digits), number.isFinite
        {
            return .float(number)
        }
        if text.isEmpty { throw failure("missing value", key: key) }
        throw failure(
            "'\(text)' is not a string, number or boolean (strings need quotes)", key: key)
    }

    private mutating func basicString() throws(ConfigurationError) -> String {
        var text = ""
        while let scalar = peek(), scalar != "\n" {
            advance()
            switch scalar {
            case "\"":
                return text
            case "\\":
                text.unicodeScalars.append(try escape())
            default:
                text.unicodeScalars.append(scalar)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func escape() throws(ConfigurationError) -> Unicode.Scalar {
        guard let scalar = peek() else { throw failure("unterminated string") }
        advance()
        switch scalar {
        case "n": return "\n"
        case "t": return "\t"
        case "r": return "\r"
        case "b": return "\u{08}"
        case "f": return "\u{0C}"
        case "\"": return "\""
        case "\\": return "\\"
        case "u", "U":
            let count = scalar == "u" ? 4 : 8
            var hex = ""
            for _ in 0..<count {
                guard let digit = peek(), digit.properties.isASCIIHexDigit else {
                    throw failure("bad \\\(scalar) escape")
                }
                hex.unicodeScalars.append(digit)
                advance()
            }
            guard let value = UInt32(hex, radix: 16), let result = Unicode.Scalar(value) else {
                throw failure("bad \\\(scalar) escape")
            }
            return result
        default:
            throw failure("unknown escape \\\(scalar)")
        }
    }

    private mutating func literalString() throws(ConfigurationError) -> String {
        var text = ""
        while let scalar = peek(), scalar != "\n" {
            advance()
            if scalar == "'" { return text }
            text.unicodeScalars.append(scalar)
        }
        throw failure("unterminated string")
    }

    private mutating func endOfLine() throws(ConfigurationError) {
        skipBlank()
        guard let scalar = peek() else { return }
        guard scalar == "\n" else { throw failure("unexpected text after the value") }
        advance()
    }

    /// Skips spaces, tabs, carriage returns and a comment, but not the newline.
    private mutating func skipBlank() {
        skipSpaces()
        if peek() == "#" {
            while let scalar = peek(), scalar != "\n" { advance() }
        }
    }

    private mutating func skipBlankAndNewlines() {
        while true {
            skipBlank()
            guard peek() == "\n" else { return }
            advance()
        }
    }

    private mutating func skipSpaces() {
        while let scalar = peek(), scalar == " " || scalar == "\t" || scalar == "\r" {
            advance()
        }
    }

    private func peek() -> Unicode.Scalar? {
        position < scalars.count ? scalars[position] : nil
    }

    private func peekAhead(_ offset: Int) -> Unicode.Scalar? {
        position + offset < scalars.count ? scalars[position + offset] : nil
    }

    private func peekBack() -> Unicode.Scalar? {
        position > 0 ? scalars[position - 1] : nil
    }

    private mutating func advance() {
        if peek() == "\n" { line += 1 }
        position += 1
    }

    private func failure(_ reason: String, key: String = "") -> ConfigurationError {
        ConfigurationError(file: file, line: line, key: key, reason: reason)
    }
}
