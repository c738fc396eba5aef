/// The segment structure of a JPEG file, read without decoding: its pixel size from the frame
/// header (SOFn marker), several times quicker than asking a decoder, and a copy without the
/// metadata segments, which spares the decoder from parsing EXIF that intake already read.
///
/// Marker layout from ITU-T T.81 (the JPEG standard), annex B: after SOI (FFD8) come segments
/// `FF xx` with a two-byte big-endian length; a SOFn segment holds precision (1 byte), height
/// and width (2 bytes each). Scanning stops at SOS (FFDA), after which entropy-coded data follow.
enum JPEGMarkers {
    /// Width and height, or nil when the bytes are not a JPEG or no frame header precedes the
    /// first scan.
    static func size(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
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

    /// `bytes` without its APP1 (EXIF, XMP) and COM segments before the first scan; nil when
    /// the segment structure is not what a JPEG's should be, so that the caller decodes the
    /// original instead.
    static func strippingMetadata(_ bytes: [UInt8]) -> [UInt8]? {
        guard bytes.count >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return nil }
        var result: [UInt8] = [0xFF, 0xD8]
        result.reserveCapacity(bytes.count)
        var index = 2
        while index + 4 <= bytes.count {
            guard bytes[index] == 0xFF else { return nil }
            let marker = bytes[index + 1]
            if marker == 0xFF {
                index += 1
                continue
            }
            if marker == 0xDA {  // start of scan: the rest is image data
                result.append(contentsOf: bytes[index...])
                return result
            }
            if marker == 0x01 || (0xD0...0xD7).contains(marker) {
                result.append(contentsOf: bytes[index..<index + 2])
                index += 2
                continue
            }
            let end = index + 2 + (Int(bytes[index + 2]) << 8 | Int(bytes[index + 3]))
            guard end > index + 3, end <= bytes.count else { return nil }
            if marker != 0xE1 && marker != 0xFE {
                result.append(contentsOf: bytes[index..<end])
            }
            index = end
        }
        return nil
    }
}
