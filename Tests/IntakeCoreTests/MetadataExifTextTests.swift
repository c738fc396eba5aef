import Testing

@testable import IntakeCore

/// How EXIF value bytes become text, and how dates and offsets are read.
@Suite("Metadata EXIF text")
struct MetadataExifTextTests {
    @Test(
        "values are cut at NUL, trailing padding is trimmed, invalid UTF-8 is escaped",
        arguments: [
            (Array("Canon\0\0\0".utf8), "Canon"),
            (Array("NIKON CORPORATION   ".utf8), "NIKON CORPORATION"),
            (Array("Caf\u{e9}".utf8), "Caf\u{e9}"),
            ([0x43, 0x61, 0x66, 0xE9, 0x20, 0x5C], "Caf\\xE9 \\\\"),
            ([0xFF, 0xFE, 0x41], "\\xFF\\xFEA"),
            ([0x41, 0x00, 0xFF, 0xFF], "A"),
        ])
    func decode(_ bytes: [UInt8], _ expected: String) {
        #expect(ExifText.decode(bytes) == expected)
    }

    @Test("blank and NUL-only values have no text")
    func blank() {
        #expect(ExifText.decode([UInt8]()) == nil)
        #expect(ExifText.decode([0x20, 0x20, 0x00]) == nil)
        #expect(ExifText.decode([0x00, 0x41]) == nil)
    }

    @Test(
        "EXIF dates become ISO 8601 local times; zeros and garbage become nothing",
        arguments: [
            ("2008:05:30 15:56:01", "2008-05-30T15:56:01"),
            ("2008:05:30 15:56:01\0", "2008-05-30T15:56:01"),
            ("0000:00:00 00:00:00", nil),
            ("    :  :     :  :  ", nil),
            ("2008:13:30 15:56:01", nil),
            ("yesterday", nil),
        ] as [(String, String?)])
    func localTime(_ raw: String, _ expected: String?) {
        #expect(ExifSummary.localTime(raw) == expected)
    }

    @Test("offsets are kept only in the +HH:MM form")
    func offsets() {
        #expect(ExifSummary.zoneOffset("+01:00") == "+01:00")
        #expect(ExifSummary.zoneOffset("-07:30") == "-07:30")
        #expect(ExifSummary.zoneOffset("01:00") == nil)
        #expect(ExifSummary.zoneOffset("+1:00") == nil)
    }

    @Test("JPEG pixel size comes from the frame header")
    func jpegSize() {
        let header: [UInt8] = [
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x04, 0x00, 0x00,  // SOI, APP0 of 2 bytes
            0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x01, 0xE0, 0x02, 0x80, 0x01, 0x01, 0x11, 0x00,
        ]
        let size = header.withUnsafeBytes { JPEGMarkers.size($0) }
        #expect(size?.width == 640 && size?.height == 480)
        let cut = Array(header.prefix(12))
        #expect(cut.withUnsafeBytes { JPEGMarkers.size($0) } == nil)
        #expect([UInt8]("GIF89a".utf8).withUnsafeBytes { JPEGMarkers.size($0) } == nil)
    }

    @Test("stripping a JPEG's metadata drops APP1 and keeps the frame and the image data")
    func stripping() throws {
        let path = MetadataDump.folder + "/jpg/gps/DSCN0010.jpg"
        let bytes = try ImageFile.read(path).bytes
        let stripped = try #require(JPEGMarkers.strippingMetadata(bytes))
        #expect(stripped.count < bytes.count)
        let exifMarker: [UInt8] = Array("Exif".utf8) + [0, 0]
        #expect(bytes.firstRange(of: exifMarker) != nil)
        #expect(stripped.firstRange(of: exifMarker) == nil)
        #expect(stripped.withUnsafeBytes { JPEGMarkers.size($0) }?.width == 640)
        #expect(stripped.suffix(2) == [0xFF, 0xD9])
        #expect(JPEGMarkers.strippingMetadata(Array(bytes.prefix(300))) == nil)
    }
}
