import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// `JSONValueEncoder` followed by `JSONValue.text()` writes what Foundation's `JSONEncoder`
/// (sorted keys, slashes unescaped) writes, for the stages' real results and for the shapes
/// `Codable` produces.
@Suite("Support JSONValueEncoder")
struct SupportJSONValueEncoderTests {
    static let inspector = try! ImageInspector(settings: Configuration().analysis)

    /// Every corpus JPEG: the camera files have doubles, optionals, nested objects and a
    /// dictionary of EXIF tags with every kind of text in it.
    static let jpegs: [String] = {
        let root = Paths.corpus + "/exif-samples/jpg"
        let names = FileManager.default.enumerator(atPath: root)?.allObjects as? [String] ?? []
        return names.filter { $0.lowercased().hasSuffix(".jpg") }.sorted().map { root + "/" + $0 }
    }()

    @Test("metadata and analysis of every corpus JPEG: the same text as JSONEncoder's")
    func sameTextAsJSONEncoder() throws {
        #expect(Self.jpegs.count >= 60)
        var analysed = 0
        for path in Self.jpegs {
            guard let metadata = try? Self.inspector.metadata(of: path) else { continue }
            #expect(
                try JSONValueEncoder.encode(metadata).text()
                    == Output.encode(metadata, pretty: false), "\(path)")
            guard let analysis = try? Self.inspector.analysis(of: path, metadata: metadata)
            else { continue }
            analysed += 1
            #expect(
                try JSONValueEncoder.encode(analysis).text()
                    == Output.encode(analysis, pretty: false), "\(path)")
            #expect(
                try JSONValueEncoder.encode(metadata).normalised
                    == JSONValue.parse(Output.encode(metadata, pretty: false)).normalised)
        }
        #expect(analysed >= 50)
    }

    /// Shapes of `Codable` the stages' types do not all use.
    struct Sample: Codable, Equatable {
        struct Inner: Codable, Equatable {
            var label: String
            var weight: Float
        }
        var name = "a/b \"quoted\"\n"
        var missing: Int?
        var present: Int? = 3
        var whole = 2.0
        var fraction = 0.0125
        var small = 1e-7
        var tiny: Int8 = -5
        var big: UInt32 = 4_000_000_000
        var flags = [true, false]
        var inners = [Inner(label: "x", weight: 0.5)]
        var nested = [[1, 2], []]
        var table = ["b": 2, "a": 1]
        var json: JSONValue = .object(["k": .array([.null, .int(1)])])
    }

    @Test("Codable shapes: nil left out, nested containers, numbers, escapes, dictionaries")
    func shapes() throws {
        let sample = Sample()
        let value = try JSONValueEncoder.encode(sample)
        #expect(value.text() == (try Output.encode(sample, pretty: false)))
        #expect(value["missing"] == nil)
        #expect(value["present"] == .int(3))
        #expect(value["big"] == .int(4_000_000_000))
        #expect(value["whole"]?.text() == "2")
        let decoded = try JSONValue.decode(Sample.self, from: value.text())
        #expect(decoded == sample)
    }

    /// A hand-written `encode(to:)` that uses every kind of container the protocol offers.
    final class Handmade: Encodable {
        enum Keys: String, CodingKey { case point, path, parts }
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Keys.self)
            var point = container.nestedContainer(keyedBy: Keys.self, forKey: .point)
            try point.encode(Float(0.1), forKey: .parts)
            var path = container.nestedUnkeyedContainer(forKey: .path)
            try path.encode(1)
            var inner = path.nestedContainer(keyedBy: Keys.self)
            try inner.encodeNil(forKey: .point)
            var deeper = path.nestedUnkeyedContainer()
            try deeper.encode("x")
            try path.encode([3: "three", 1: "one"])
            try "base".encode(to: container.superEncoder())
        }
    }

    @Test("nested keyed and unkeyed containers, superEncoder, Int keys, a Float, a nil member")
    func handmade() throws {
        let value = try JSONValueEncoder.encode(Handmade())
        #expect(value.text() == (try Output.encode(Handmade(), pretty: false)))
        #expect(
            value.text()
                == #"{"path":[1,{"point":null},["x"],{"1":"one","3":"three"}],"#
                + #""point":{"parts":0.1},"super":"base"}"#)
    }

    @Test("an unsigned number above Int64.max is refused, not wrapped")
    func unsignedOverflow() {
        #expect(throws: EncodingError.self) {
            try JSONValueEncoder.encode(["n": UInt64.max])
        }
        #expect((try? JSONValueEncoder.encode(["n": UInt64(Int64.max)])) == ["n": .int(Int64.max)])
    }

    @Test("a value that encodes nothing is an empty object; a bare scalar is itself")
    func emptyAndScalar() throws {
        struct Nothing: Encodable {
            func encode(to encoder: any Encoder) throws {}
        }
        #expect(try JSONValueEncoder.encode(Nothing()) == .object([:]))
        #expect(try JSONValueEncoder.encode("text") == .string("text"))
        #expect(try JSONValueEncoder.encode([1.5, 2]) == .array([.double(1.5), .double(2)]))
    }
}

extension JSONValue {
    /// This value with every whole number as `.int`: JSON text does not tell `2` from `2.0`,
    /// so a parse gives `.int` where the encoder gives `.double`.
    fileprivate var normalised: JSONValue {
        switch self {
        case .double(let number) where number == number.rounded() && abs(number) < 1e15:
            return .int(Int64(number))
        case .array(let items): return .array(items.map(\.normalised))
        case .object(let members): return .object(members.mapValues(\.normalised))
        default: return self
        }
    }
}
