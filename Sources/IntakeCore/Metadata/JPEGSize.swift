/// The pixel size of a JPEG, read from its frame header (SOFn marker) without decoding, which
/// is several times quicker than asking a decoder for the header.
///
/// Marker layout from ITU-T T.81 (the JPEG standard), annex B: after SOI (FFD8) come segments
/// `FF xx` with a two-byte big-endian length; a SOFn segment holds precision (1 byte), height
/// and width (2 bytes each). Scanning stops at SOS (FFDA), after which entropy-coded data follow.
enum JPEGSize {
    /// Width and height, or nil when the bytes are not a JPEG or no frame header precedes the
    /// first scan.
    static func read(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var index = 2
        while index + 4 <= bytes.count {
            guard bytes[index] == 0xFF else { return nil }
            let marker = bytes[index + 1]
            if marker == 0xFF {  // fill byte before a marker
                index += 1
                continue
            }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {  // markers without a length
                index += 2
                continue
            }
            let length = Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            guard length >= 2 else { return nil }
            let isFrame = (0xC0...0xCF).contains(marker) && ![0xC4, 0xC8, 0xCC].contains(marker)
            if isFrame {
                guard index + 9 <= bytes.count else { return nil }
                let height = Int(bytes[index + 5]) << 8 | Int(bytes[index + 6])
                let width = Int(bytes[index + 7]) << 8 | Int(bytes[index + 8])
                return width > 0 && height > 0 ? (width, height) : nil
            }
            if marker == 0xDA || marker == 0xD9 { return nil }
            index += 2 + length
        }
        return nil
    }
}
