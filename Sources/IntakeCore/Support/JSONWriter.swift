/// Writes compact JSON with sorted object keys, by hand: the outbox formats an event per stage
/// change, and Foundation's JSONEncoder costs several times more than the SQL around it.
/// The output is what `JSONEncoder` with `.sortedKeys` and `.withoutEscapingSlashes` gives.
enum JSONWriter {
    static func text(_ value: JSONValue) -> String {
        var output = ""
        write(value, into: &output)
        return output
    }

    static func write(_ value: JSONValue, into output: inout String) {
        switch value {
        case .null:
            output += "null"
        case .bool(let flag):
            output += flag ? "true" : "false"
        case .int(let number):
            output += String(number)
        case .double(let number):
            if number.isFinite {
                output +=
                    number == number.rounded() && abs(number) < 1e15
                    ? String(Int64(number)) : "\(number)"
            } else {
                output += "null"
            }
        case .string(let text):
            writeString(text, into: &output)
        case .array(let items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                write(item, into: &output)
            }
            output += "]"
        case .object(let members):
            output += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output += "," }
                writeString(key, into: &output)
                output += ":"
                write(members[key] ?? .null, into: &output)
            }
            output += "}"
        }
    }

    static func writeString(_ text: String, into output: inout String) {
        output += "\""
        if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            output += text
            output += "\""
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20:
                let hex = Hex.string([UInt8(scalar.value)])
                output += "\\u00" + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
