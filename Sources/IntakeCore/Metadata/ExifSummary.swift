import CExif

/// Reads the named fields of `ImageMetadata` out of an `ExifBlock`: which tag holds what,
/// and how its value is turned into a number, a date or a position.
///
/// Tag numbers are those of the EXIF 2.32 specification (CIPA DC-008-2019).
///
/// Known limitation: maker notes are listed as one `MakerNote` tag ("N bytes undefined data"),
/// not decoded into their vendor tags, because libexif's maker-note readers cover few vendors
/// and the contract asks for the standard tags.
struct ExifSummary {
    var takenAt: String?
    var camera: ImageMetadata.Camera?
    var lens: String?
    var exposureTime: Double?
    var fNumber: Double?
    var iso: Int?
    var focalLength: Double?
    var flash: String?
    var orientation: Int?
    var gps: ImageMetadata.Position?
    var software: String?
    var artist: String?
    var copyright: String?
    var description: String?
    var tags: [String: String] = [:]

    init() {}

    init(_ block: ExifBlock) {
        tags = Self.allTags(block)
        let make = text(block, 0x010F, .image)
        let model = text(block, 0x0110, .image)
        if make != nil || model != nil {
            camera = ImageMetadata.Camera(make: make, model: model)
        }
        lens = text(block, 0xA434, .exif) ?? text(block, 0xA433, .exif)
        software = text(block, 0x0131, .image)
        artist = text(block, 0x013B, .image)
        copyright = text(block, 0x8298, .image)
        description = text(block, 0x010E, .image)
        takenAt = Self.takenAt(block)
        exposureTime = rational(block, 0x829A, .exif)
        fNumber = rational(block, 0x829D, .exif)
        focalLength = rational(block, 0x920A, .exif)
        iso = block.entry(0x8827, in: .exif).flatMap { block.integers($0).first }.map { Int($0) }
        flash = block.entry(0x9209, in: .exif).flatMap { ExifText.decode(block.formatted($0)) }
        orientation = block.entry(0x0112, in: .image)
            .flatMap { block.integers($0).first }
            .flatMap { (1...8).contains($0) ? Int($0) : nil }
        gps = Self.position(block)
    }

    /// Every tag, named as libexif names it; the value is libexif's rendering, except ASCII
    /// values, which are taken from their raw bytes so that no byte is lost to formatting.
    private static func allTags(_ block: ExifBlock) -> [String: String] {
        var tags: [String: String] = [:]
        for entry in block.entries {
            var name = block.name(of: entry)
            if entry.directory == .thumbnail { name = "Thumbnail" + name }
            guard tags[name] == nil else { continue }
            let bytes =
                entry.format == EXIF_FORMAT_ASCII_VALUE
                ? Array(entry.bytes) : block.formatted(entry)
            tags[name] = ExifText.decode(bytes) ?? ""
        }
        return tags
    }

    /// DateTimeOriginal, else DateTimeDigitized, else DateTime, each with its own offset tag.
    private static func takenAt(_ block: ExifBlock) -> String? {
        let candidates: [(UInt16, ExifBlock.Directory, UInt16)] = [
            (0x9003, .exif, 0x9011), (0x9004, .exif, 0x9012), (0x0132, .image, 0x9010),
        ]
        for (tag, directory, offsetTag) in candidates {
            guard let entry = block.entry(tag, in: directory),
                let raw = ExifText.decode(Array(entry.bytes)),
                let local = localTime(raw)
            else { continue }
            let offset = block.entry(offsetTag, in: .exif)
                .flatMap { ExifText.decode(Array($0.bytes)) }
                .flatMap(zoneOffset)
            return local + (offset ?? "")
        }
        return nil
    }

    /// `YYYY:MM:DD HH:MM:SS` as ISO 8601 `YYYY-MM-DDTHH:MM:SS`; nil for blanks, zeros and
    /// anything else that is not a real date.
    static func localTime(_ raw: String) -> String? {
        let digits = Array(raw.utf8)
        guard digits.count >= 19 else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = digits[index]
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
            year > 0, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = String(repeating: "0", count: 4 - String(year).count) + String(year)
        return "\(yearText)-\(two(month))-\(two(day))T\(two(hour)):\(two(minute)):\(two(second))"
    }

    /// `+HH:MM` or `-HH:MM` as recorded; nil for anything else.
    static func zoneOffset(_ raw: String) -> String? {
        let bytes = Array(raw.utf8)
        guard bytes.count == 6, bytes[0] == 0x2B || bytes[0] == 0x2D, bytes[3] == 0x3A,
            [1, 2, 4, 5].allSatisfy({ bytes[$0] >= 0x30 && bytes[$0] <= 0x39 })
        else { return nil }
        return raw
    }

    /// Latitude and longitude as degrees, minutes and seconds with their N/S and E/W
    /// references; altitude with its reference byte (1 means below sea level).
    private static func position(_ block: ExifBlock) -> ImageMetadata.Position? {
        guard let latitude = degrees(block, value: 0x0002, reference: 0x0001, negative: "S"),
            let longitude = degrees(block, value: 0x0004, reference: 0x0003, negative: "W"),
            abs(latitude) <= 90, abs(longitude) <= 180
        else { return nil }
        var altitude = block.entry(0x0006, in: .gps).flatMap { block.rationals($0).first ?? nil }
        let below = block.entry(0x0005, in: .gps).flatMap { block.integers($0).first } == 1
        if below, let metres = altitude { altitude = -metres }
        return ImageMetadata.Position(latitude: latitude, longitude: longitude, altitude: altitude)
    }

    private static func degrees(
        _ block: ExifBlock, value: UInt16, reference: UInt16, negative: String
    ) -> Double? {
        guard let entry = block.entry(value, in: .gps) else { return nil }
        let parts = block.rationals(entry)
        guard parts.count == 3, let d = parts[0], let m = parts[1], let s = parts[2] else {
            return nil
        }
        let magnitude = d + m / 60 + s / 3600
        let ref = block.entry(reference, in: .gps).flatMap { ExifText.decode(Array($0.bytes)) }
        return ref?.uppercased().hasPrefix(negative) == true ? -magnitude : magnitude
    }
}

/// libexif's `EXIF_FORMAT_ASCII`, spelled once.
private let EXIF_FORMAT_ASCII_VALUE = ExifFormat(rawValue: 2)

private func text(_ block: ExifBlock, _ tag: UInt16, _ directory: ExifBlock.Directory) -> String? {
    block.entry(tag, in: directory).flatMap { ExifText.decode(Array($0.bytes)) }
}

private func rational(
    _ block: ExifBlock, _ tag: UInt16, _ directory: ExifBlock.Directory
) -> Double? {
    block.entry(tag, in: directory).flatMap { block.rationals($0).first ?? nil }
}
