/// Turns the bytes of an EXIF value into text: cut at the first NUL, trailing spaces and NULs
/// trimmed, and bytes that are not valid UTF-8 kept as `\xNN` escapes instead of being
/// dropped or replaced. Cameras pad fixed-size fields with spaces or NULs, and older ones write
/// Latin-1 or Shift JIS; a value is never lost, and never crashes a reader.
enum ExifText {
    /// The text of `bytes`, or nil when nothing is left after trimming.
    static func decode(_ bytes: some Collection<UInt8>) -> String? {
        var trimmed = Array(bytes.prefix { $0 != 0 })
        while let last = trimmed.last, last == 0x20 || last == 0x09 || last == 0x0A || last == 0x0D
        {
            trimmed.removeLast()
        }
        guard !trimmed.isEmpty else { return nil }
        if let text = String(validating: trimmed, as: UTF8.self) {
            return text
        }
        return escaped(trimmed)
    }

    /// Valid UTF-8 sequences as they are, every other byte as `\xNN`; a backslash is doubled
    /// so that an escape can be told from text.
    private static func escaped(_ bytes: [UInt8]) -> String {
        var result = ""
        var index = 0
        while index < bytes.count {
            let lead = bytes[index]
            let length: Int
            switch lead {
            case 0x00...0x7F: length = 1
            case 0xC2...0xDF: length = 2
            case 0xE0...0xEF: length = 3
            case 0xF0...0xF4: length = 4
            default: length = 0
            }
            if length > 0, index + length <= bytes.count,
                let text = String(validating: bytes[index..<index + length], as: UTF8.self)
            {
                result += text == "\\" ? "\\\\" : text
                index += length
            } else {
                let hex = String(lead, radix: 16, uppercase: true)
                result += "\\x" + (hex.count == 1 ? "0" + hex : hex)
                index += 1
            }
        }
        return result
    }
}
