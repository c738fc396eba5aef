import Foundation
import Testing

@testable import IntakeCore

/// EXIF read by libexif checked against the independent reader exif-py, over every corpus
/// file the reference dump lists; and every corpus file parsed without a crash (the suite the
/// `asan` target runs under AddressSanitizer).
@Suite("Metadata against the exif-py reference")
struct MetadataCorpusTests {
    static let inspector = try! ImageInspector(settings: Configuration().analysis)

    /// Files of the dump that exif-py found EXIF in (its "No EXIF information found" files
    /// list no tags) and that are JPEG or HEIF.
    static let referenced: [String] = MetadataDump.files
        .filter { !$0.value.isEmpty }
        .map(\.key)
        .filter {
            ["jpg", "jpeg", "heic", "heif"].contains(($0 as NSString).pathExtension.lowercased())
        }
        .sorted()

    @Test("the reference dump lists the corpus's JPEG and HEIF files")
    func dumpIsThere() {
        #expect(Self.referenced.filter { $0.contains("/jpg/") }.count >= 60)
        #expect(Self.referenced.filter { $0.contains("/heic/") }.count >= 2)
    }

    @Test("make, model, time taken and GPS position agree with exif-py", arguments: referenced)
    func agreesWithReference(_ path: String) throws {
        let tags = MetadataDump.files[path]!
        let metadata = try Self.inspector.metadata(of: path)

        let make = tags["Image Make"].map(trimmed)
        let model = tags["Image Model"].map(trimmed)
        #expect(metadata.camera?.make == (make?.isEmpty == true ? nil : make))
        #expect(metadata.camera?.model == (model?.isEmpty == true ? nil : model))

        if path.hasSuffix("/30-type_error.jpg") {
            // The EXIF IFD pointer of this file is stored as a string: exif-py (and exiftool)
            // skip that IFD and fall back to DateTime, libexif follows the offset and finds
            // DateTimeOriginal there, the same moment the file's XMP records (03:18:27Z).
            #expect(tags["EXIF DateTimeOriginal"] == nil)
            #expect(metadata.takenAt == "2013-07-05T03:18:27")
        } else {
            #expect(metadata.takenAt == Self.expectedTakenAt(tags))
        }

        let latitude = MetadataDump.degrees(tags, "Latitude", negative: "S")
        let longitude = MetadataDump.degrees(tags, "Longitude", negative: "W")
        if let latitude, let longitude {
            let gps = try #require(metadata.gps)
            #expect(abs(gps.latitude - latitude) < 1e-6)
            #expect(abs(gps.longitude - longitude) < 1e-6)
            if let altitude = tags["GPS GPSAltitude"].flatMap(MetadataDump.numbers)?.first {
                let below = tags["GPS GPSAltitudeRef"] == "1"
                #expect(abs((gps.altitude ?? .nan) - (below ? -altitude : altitude)) < 1e-6)
            }
        } else {
            #expect(metadata.gps == nil)
        }
    }

    @Test("HEIC files give their EXIF through libvips' exif-data block")
    func heic() throws {
        let iphone = try Self.inspector.metadata(
            of: MetadataDump.folder + "/heic/mobile/iphone_13_pro_max.HEIC")
        #expect(iphone.mimeType == "image/heic")
        #expect(iphone.camera == ImageMetadata.Camera(make: "Apple", model: "iPhone 13 Pro Max"))
        #expect(iphone.takenAt == "2022-02-16T12:55:41+01:00")
        #expect(iphone.lens == "iPhone 13 Pro Max back triple camera 5.7mm f/1.5")
        #expect(iphone.iso == 250)
        #expect(iphone.fNumber == 1.5)
        #expect(iphone.orientation == 6)
        #expect(iphone.width == 4032 && iphone.height == 3024 || iphone.width == 3024)
        #expect(iphone.exif["Model"] == "iPhone 13 Pro Max")
    }

    @Test("every corpus file gives metadata or a coded error, and nothing crashes")
    func wholeCorpus() throws {
        let files = try FileManager.default.subpathsOfDirectory(atPath: MetadataDump.folder)
        var results = 0
        for relative in files.sorted() {
            let path = MetadataDump.folder + "/" + relative
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder),
                !isFolder.boolValue
            else { continue }
            do {
                let metadata = try Self.inspector.metadata(of: path)
                #expect(metadata.width > 0 && metadata.height > 0)
                #expect(metadata.sha256.count == 64)
                results += 1
            } catch {
                #expect(["not_an_image", "corrupt_image"].contains(error.code), "\(error)")
            }
        }
        #expect(results >= 90)
    }

    @Test("all tags are listed by name, with trimmed values")
    func allTags() throws {
        let metadata = try Self.inspector.metadata(of: MetadataDump.folder + "/jpg/Canon_40D.jpg")
        #expect(metadata.exif["Make"] == "Canon")
        #expect(metadata.exif["Model"] == "Canon EOS 40D")
        #expect(metadata.exif["DateTimeOriginal"] == "2008:05:30 15:56:01")
        #expect(metadata.exif.count > 40)
        #expect(metadata.exif.values.allSatisfy { !$0.hasSuffix(" ") && !$0.contains("\0") })
        #expect(metadata.exposureTime == 1.0 / 160)
        #expect(metadata.fNumber == 7.1)
        #expect(metadata.focalLength == 135)
        #expect(metadata.iso == 100)
        #expect(metadata.flash?.isEmpty == false)
    }

    /// exif-py's DateTimeOriginal, else DateTimeDigitized, else DateTime, in ISO 8601, with
    /// the matching offset tag where present; values that are no date are passed over.
    static func expectedTakenAt(_ tags: [String: String]) -> String? {
        let candidates = [
            ("EXIF DateTimeOriginal", "EXIF OffsetTimeOriginal"),
            ("EXIF DateTimeDigitized", "EXIF OffsetTimeDigitized"),
            ("Image DateTime", "EXIF OffsetTime"),
        ]
        for (name, offsetName) in candidates {
            guard let raw = tags[name].map(trimmed),
                raw.wholeMatch(of: /\d{4}:\d\d:\d\d \d\d:\d\d:\d\d/) != nil,
                !raw.hasPrefix("0000")
            else { continue }
            let parts = raw.split(separator: " ")
            let date = parts[0].replacingOccurrences(of: ":", with: "-")
            let offset =
                tags[offsetName].map(trimmed)
                .flatMap { $0.wholeMatch(of: /[+-]\d\d:\d\d/) != nil ? $0 : nil } ?? ""
            return "\(date)T\(parts[1])\(offset)"
        }
        return nil
    }
}

private func trimmed(_ text: String) -> String {
    text.trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
}
