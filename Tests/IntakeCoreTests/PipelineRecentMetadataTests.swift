import Testing

@testable import IntakeCore

@Suite("Pipeline recent metadata")
struct PipelineRecentMetadataTests {
    static let photo = MetadataDump.folder + "/jpg/gps/DSCN0010.jpg"

    private func metadata(_ name: String) throws -> ImageMetadata {
        var metadata = try ImageInspector(settings: Configuration().analysis)
            .metadata(of: Self.photo)
        metadata.sha256 = name
        return metadata
    }

    /// Keeps `template` under the name `name`.
    private func keep(_ name: String, _ template: ImageMetadata, in recent: RecentMetadata) {
        var next = template
        next.sha256 = name
        recent.keep(next)
    }

    @Test("what the metadata stage keeps, the analysis stage takes once")
    func keepThenTake() throws {
        let recent = RecentMetadata(capacity: 8)
        let full = try metadata("a")
        #expect(full.camera != nil && !full.exif.isEmpty, "the photo has EXIF")
        recent.keep(full)
        #expect(recent.count == 1)
        let kept = try #require(recent.take("a"))
        #expect(
            (kept.sha256, kept.mimeType, kept.bytes, kept.width, kept.height, kept.orientation)
                == (
                    full.sha256, full.mimeType, full.bytes, full.width, full.height,
                    full.orientation
                ))
        #expect(kept.camera == nil && kept.exif.isEmpty, "only what the analysis reads")
        #expect(recent.take("a") == nil, "taken once")
        #expect(recent.take("b") == nil, "never kept")
        #expect(recent.count == 0)
    }

    @Test("beyond its capacity the oldest entries go, and memory stays bounded")
    func bounded() throws {
        let recent = RecentMetadata(capacity: 3)
        let template = try metadata("x")
        for index in 0..<100 {
            keep("\(index)", template, in: recent)
            #expect(recent.count <= 3)
        }
        #expect(recent.take("96") == nil)
        #expect(recent.take("97")?.sha256 == "97")
        #expect(recent.take("99")?.sha256 == "99")
        // A long run of keeps, some of the same images again, and takes: the order it tracks
        // (stale elements included) stays within a small multiple of the capacity.
        for index in 0..<10_000 {
            keep("\(index % 7)", template, in: recent)
            if index % 3 == 0 { _ = recent.take("\(index % 7)") }
            #expect(recent.count <= 3)
        }
        #expect(recent.tracked <= 7)
    }

    @Test("taken entries leave room: only entries still waiting count against the capacity")
    func takenLeaveRoom() throws {
        let recent = RecentMetadata(capacity: 3)
        let template = try metadata("x")
        for name in ["a", "b", "c"] { keep(name, template, in: recent) }
        #expect(recent.take("b") != nil && recent.take("c") != nil)
        for name in ["d", "e"] { keep(name, template, in: recent) }
        #expect(recent.count == 3)
        #expect(recent.take("a")?.sha256 == "a", "three waiting: the oldest stays")
        // Kept again while waiting: the entry is as young as its last keep.
        for name in ["d", "f", "g"] { keep(name, template, in: recent) }
        #expect(recent.take("e") == nil, "the oldest waiting went")
        #expect(recent.take("d")?.sha256 == "d")
    }

    @Test(
        "an analysis given the kept metadata equals one that reads the file itself",
        arguments: [
            "gps/DSCN0010.jpg", "orientation/landscape_6.jpg", "orientation/portrait_8.jpg",
        ])
    func sameAnalysis(_ name: String) throws {
        let path = MetadataDump.folder + "/jpg/" + name
        let inspector = try ImageInspector(settings: Configuration().analysis)
        let recent = RecentMetadata()
        recent.keep(try inspector.metadata(of: path))
        let known = try #require(recent.take(try inspector.metadata(of: path).sha256))
        let read = try inspector.analysis(of: path)
        let given = try inspector.analysis(of: path, metadata: known)
        #expect(given == read)
    }
}
