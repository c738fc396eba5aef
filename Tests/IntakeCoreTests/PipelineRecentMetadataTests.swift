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
            var next = template
            next.sha256 = "\(index)"
            recent.keep(next)
            #expect(recent.count <= 3)
        }
        #expect(recent.take("96") == nil)
        #expect(recent.take("97")?.sha256 == "97")
        #expect(recent.take("99")?.sha256 == "99")
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
