import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// The perceptual hashes on real photographs: stable under re-encoding, rescaling and EXIF
/// rotation, far apart for different pictures.
@Suite("Analysis hashes and features")
struct AnalysisHashTests {
    static let inspector = try! ImageInspector(settings: Configuration().analysis)
    static let jpg = MetadataDump.folder + "/jpg"

    /// Distinct photographs of the corpus (the HDR folder holds pairs of the same scene and
    /// the orientation folder one picture eight times, so they are left out).
    static let distinct: [String] = {
        let folders = ["", "/exif-org", "/gps"]
        return folders.flatMap { folder in
            let path = jpg + folder
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            return names.filter { $0.hasSuffix(".jpg") }.sorted().map { path + "/" + $0 }
        }
        .filter { !$0.hasSuffix("/corrupted.jpg") && !$0.hasSuffix("photoshop_import.jpg") }
    }()

    static let samples = [
        "/gps/DSCN0010.jpg", "/gps/DSCN0021.jpg", "/exif-org/kodak-dc210.jpg",
        "/exif-org/fujifilm-dx10.jpg", "/Nikon_D70.jpg", "/Pentax_K10D.jpg",
    ].map { jpg + $0 }

    private func hashes(_ path: String) throws -> (UInt64, UInt64) {
        let analysis = try Self.inspector.analysis(of: path)
        return (PerceptualHash.parse(analysis.phash)!, PerceptualHash.parse(analysis.dhash)!)
    }

    private func distance(_ a: UInt64, _ b: UInt64) -> Int { (a ^ b).nonzeroBitCount }

    @Test("the same picture saved as PNG lands within a few bits", arguments: samples)
    func reencodedAsPNG(_ path: String) throws {
        let folder = TemporaryFolder("intake-hash")
        let copy = folder.file("copy.png")
        try LoadedImage.open(path).writePNG(to: copy)
        let (phash, dhash) = try hashes(path)
        let (copyPhash, copyDhash) = try hashes(copy)
        #expect(distance(phash, copyPhash) <= 4)
        #expect(distance(dhash, copyDhash) <= 4)
    }

    @Test("the same picture at half size, as JPEG, lands within a few bits", arguments: samples)
    func halfSize(_ path: String) throws {
        let folder = TemporaryFolder("intake-hash")
        let copy = folder.file("half.jpg")
        let original = try LoadedImage.open(path)
        let half = try original.scaled(by: 0.5)
        #expect(half.width == (original.width + 1) / 2 || half.width == original.width / 2)
        try half.writeJPEG(to: copy, quality: 85)
        let (phash, dhash) = try hashes(path)
        let (copyPhash, copyDhash) = try hashes(copy)
        #expect(distance(phash, copyPhash) <= 6)
        #expect(distance(dhash, copyDhash) <= 6)
    }

    @Test("all eight EXIF orientations of one picture hash alike once rotated upright")
    func orientations() throws {
        for shape in ["landscape", "portrait"] {
            let upright = try hashes("\(Self.jpg)/orientation/\(shape)_1.jpg")
            for number in 2...8 {
                let turned = try hashes("\(Self.jpg)/orientation/\(shape)_\(number).jpg")
                #expect(distance(upright.0, turned.0) <= 4, "\(shape)_\(number)")
                #expect(distance(upright.1, turned.1) <= 4, "\(shape)_\(number)")
            }
        }
    }

    @Test("different photographs land far apart")
    func differentPictures() throws {
        #expect(Self.distinct.count >= 40)
        let all = try Self.distinct.map(hashes)
        var phashDistances: [Int] = []
        var dhashDistances: [Int] = []
        for first in 0..<all.count {
            for second in (first + 1)..<all.count {
                let distancePhash = distance(all[first].0, all[second].0)
                phashDistances.append(distancePhash)
                dhashDistances.append(distance(all[first].1, all[second].1))
                #expect(
                    distancePhash > 12,
                    "\(Self.distinct[first]) and \(Self.distinct[second]) are \(distancePhash) apart"
                )
            }
        }
        #expect(phashDistances.sorted()[phashDistances.count / 2] >= 26)
        #expect(dhashDistances.sorted()[dhashDistances.count / 2] >= 26)
    }

    @Test("PNG, WebP and BMP copies of a photo are read by content and hash alike")
    func containers() throws {
        let folder = TemporaryFolder("intake-containers")
        let source = Self.samples[0]
        let upright = try LoadedImage.thumbnail(of: source, size: 320).srgb8().inMemory()
        try upright.writePNG(to: folder.file("copy.png"))
        try upright.writeWebP(to: folder.file("copy.dat"), quality: 90)
        try Self.bmp(upright).write(to: URL(fileURLWithPath: folder.file("copy.bmp")))
        let (phash, _) = try hashes(source)
        for (name, type) in [
            ("copy.png", "image/png"), ("copy.dat", "image/webp"), ("copy.bmp", "image/bmp"),
        ] {
            let metadata = try Self.inspector.metadata(of: folder.file(name))
            #expect(metadata.mimeType == type)
            #expect(metadata.width == upright.width && metadata.height == upright.height)
            #expect(distance(phash, try hashes(folder.file(name)).0) <= 6, "\(name)")
        }
    }

    /// A 24-bit BMP (BITMAPINFOHEADER, rows bottom-up, padded to 4 bytes) of an sRGB image.
    static func bmp(_ image: LoadedImage) throws -> Data {
        let rgb = try image.pixels()
        let (width, height) = (image.width, image.height)
        let rowBytes = (width * 3 + 3) / 4 * 4
        var data = Data()
        func little(_ value: Int, _ count: Int) {
            for shift in 0..<count { data.append(UInt8(truncatingIfNeeded: value >> (8 * shift))) }
        }
        data.append(contentsOf: Array("BM".utf8))
        little(54 + rowBytes * height, 4)
        little(0, 4)
        little(54, 4)
        little(40, 4)
        little(width, 4)
        little(height, 4)
        little(1, 2)
        little(24, 2)
        little(0, 4)
        little(rowBytes * height, 4)
        little(2835, 4)
        little(2835, 4)
        little(0, 8)
        for y in (0..<height).reversed() {
            for x in 0..<width {
                let index = (y * width + x) * 3
                data.append(contentsOf: [rgb[index + 2], rgb[index + 1], rgb[index]])
            }
            data.append(contentsOf: [UInt8](repeating: 0, count: rowBytes - width * 3))
        }
        return data
    }

    @Test("the feature vector has its fixed length, version and a normalised histogram")
    func vector() throws {
        let analysis = try Self.inspector.analysis(of: Self.samples[0])
        #expect(analysis.vectorVersion == ImageFeatures.version)
        #expect(analysis.vectorLength == ImageFeatures.length)
        #expect(analysis.vector.count == ImageFeatures.length)
        let histogram = analysis.vector[3..<67]
        #expect(abs(histogram.reduce(0, +) - 1) < 1e-9)
        #expect(analysis.meanColor.allSatisfy { $0 > 0 && $0 < 1 })
        let longest = max(analysis.analyzedWidth, analysis.analyzedHeight)
        #expect(longest >= ImageFeatures.workingSize && longest < 2 * ImageFeatures.workingSize)
        #expect(analysis.phash.wholeMatch(of: /[0-9a-f]{16}/) != nil)
    }

    @Test("a linear reduction fits the longest side exactly, keeps the shape, never enlarges")
    func linearReduction() throws {
        let path = "\(Self.jpg)/gps/DSCN0010.jpg"
        let source = try LoadedImage.open(path)
        let reduced = try source.reducedLinearly(toFit: 100)
        #expect((source.width, source.height) == (640, 480))
        #expect((reduced.width, reduced.height) == (100, 75))
        let folder = TemporaryFolder("intake-hash")
        try reduced.writePNG(to: folder.file("reduced.png"))
        let (phash, _) = try hashes(path)
        let (reducedPhash, _) = try hashes(folder.file("reduced.png"))
        #expect(distance(phash, reducedPhash) <= 6)
        let same = try source.reducedLinearly(toFit: 1000)
        #expect((same.width, same.height) == (640, 480))
    }

    @Test("the thumbnail is WebP, at most thumbnail_px on its longest side, upright")
    func thumbnail() throws {
        let folder = TemporaryFolder("intake-thumbnail")
        var settings = Configuration().analysis
        settings.thumbnailPixels = 120
        let inspector = try ImageInspector(settings: settings)
        let target = folder.file("aa/bb/thumb.webp")
        let source = "\(Self.jpg)/orientation/landscape_6.jpg"
        let analysis = try inspector.analysis(of: source, thumbnailTo: target)
        #expect(analysis.thumbnailPath == target)
        #expect(try Magic().mimeType(ofFileAt: target) == "image/webp")
        let thumbnail = try LoadedImage.open(target)
        let stored = try LoadedImage.open(source)
        #expect(max(thumbnail.width, thumbnail.height) == 120)
        // Orientation 6 stores the picture turned: upright, width and height swap.
        #expect((thumbnail.width > thumbnail.height) == (stored.height > stored.width))
        #expect(!FileManager.default.fileExists(atPath: target + ".tmp"))
    }

    @Test("a thumbnail is written in the scratch folder first; only its temporaries are swept")
    func thumbnailScratch() throws {
        let folder = TemporaryFolder("intake-thumbnail-scratch")
        let inspector = try ImageInspector(settings: Configuration().analysis)
        let scratch = folder.file("thumbnails")
        let target = scratch + "/aa/bb/thumb.webp"
        try FileManager.default.createDirectory(
            atPath: scratch + "/aa/bb", withIntermediateDirectories: true)
        _ = try inspector.analysis(
            of: "\(Self.jpg)/gps/DSCN0010.jpg", thumbnailTo: target, scratch: scratch)
        #expect(try Magic().mimeType(ofFileAt: target) == "image/webp")
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch) == ["aa"])

        let names = [".\(Identifier.uuidV7()).webp.tmp", ".\(Identifier.uuidV7()).webp.tmp"]
        let kept = ["notes.tmp", ".hidden", "x.webp"]
        for name in names + kept {
            #expect(FileManager.default.createFile(atPath: scratch + "/" + name, contents: nil))
        }
        #expect(ImageInspector.removeTemporaries(in: scratch) == 2)
        let left = try FileManager.default.contentsOfDirectory(atPath: scratch)
        #expect(Set(left) == Set(kept + ["aa"]))
        #expect(ImageInspector.removeTemporaries(in: folder.file("missing")) == 0)
    }

    /// The mean absolute difference of two equally long byte buffers.
    static func meanDifference(_ first: [UInt8], _ second: [UInt8]) -> Double {
        let total = zip(first, second).map { abs(Int($0) - Int($1)) }.reduce(0, +)
        return Double(total) / Double(first.count)
    }

    /// Thumbnails up to the working size (512 px) come from the pixels the features were
    /// computed from; a larger one, of a picture decoded larger, from the decoded picture.
    /// Both show the same picture as a libvips resize of the whole file does.
    @Test("thumbnails of 64, 256 and 600 px: the right size and the picture libvips makes")
    func thumbnailSizes() throws {
        let folder = TemporaryFolder("intake-thumbnail-sizes")
        let source = "\(Self.jpg)/gps/DSCN0010.jpg"  // 640 x 480
        for size in [64, 256, 600] {
            var settings = Configuration().analysis
            settings.thumbnailPixels = size
            let inspector = try ImageInspector(settings: settings)
            let target = folder.file("\(size).webp")
            _ = try inspector.analysis(of: source, thumbnailTo: target)
            let thumbnail = try LoadedImage.open(target).srgb8()
            #expect((thumbnail.width, thumbnail.height) == (size, size * 3 / 4))
            let reference = try LoadedImage.thumbnail(of: source, size: size).srgb8()
            #expect((reference.width, reference.height) == (thumbnail.width, thumbnail.height))
            let ours = try thumbnail.pixels()
            let theirs = try reference.pixels()
            let row = reference.width * 3
            let upsideDown = stride(from: theirs.count - row, through: 0, by: -row)
                .flatMap { theirs[$0..<$0 + row] }
            // Lossy WebP and two different filters leave them a few levels apart on average
            // (6 to 7.5 here); the same picture upside down is several times further.
            let apart = Self.meanDifference(ours, theirs)
            #expect(apart < 10, "\(size) px")
            #expect(Self.meanDifference(ours, upsideDown) > 3 * apart, "\(size) px")
        }
    }
}
