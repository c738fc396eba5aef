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
        let kept = try metadata("a")
        recent.keep(kept)
        #expect(recent.count == 1)
        #expect(recent.take("a") == kept)
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

    @Test("an analysis given the kept metadata equals one that reads the file itself")
    func sameAnalysis() throws {
        let inspector = try ImageInspector(settings: Configuration().analysis)
        let known = try inspector.metadata(of: Self.photo)
        let read = try inspector.analysis(of: Self.photo)
        let given = try inspector.analysis(of: Self.photo, metadata: known)
        #expect(given == read)
    }
}
