import Foundation
import IntakeCore
import Testing

@Suite("Event patterns and subscriber names")
struct EventPatternTests {
    @Test(arguments: [
        ("*", "image.downloaded", true),
        ("image.*", "image.downloaded", true),
        ("image.*", "task.completed", false),
        ("task.failed", "task.failed", true),
        ("task.failed", "task.failed.x", false),
        ("*.failed", "task.failed", true),
        ("*a*e*", "image.analyzed", true),
        ("image.*d", "image.metadata_extracted", true),
        ("image.*z", "image.analyzed", false),
    ])
    func matching(pattern: String, eventType: String, expected: Bool) throws {
        #expect(try EventPattern(pattern).matches(eventType) == expected)
    }

    @Test(arguments: ["", "a b", "image/*", "task.[f]ailed", "x?y"])
    func refusedPatterns(_ text: String) {
        #expect(throws: EventError.self) { try EventPattern(text) }
    }

    @Test func patternsFileSkipsCommentsAndReportsTypos() {
        let parsed = EventPattern.parseList(
            "# mine\nimage.*\n\n  task.failed task.completed\nbad/one\n")
        #expect(parsed.patterns.map(\.text) == ["image.*", "task.failed", "task.completed"])
        #expect(parsed.refused == ["bad/one"])
    }

    @Test(arguments: [
        "../x", "..", ".hidden", "a/b", "", "x y", "tab\t", String(repeating: "a", count: 65),
    ])
    func refusedNames(_ name: String) {
        #expect(throws: EventError.self) { try Subscriber.validate(name: name) }
    }

    @Test(arguments: ["notify", "image-index", "A_1"])
    func acceptedNames(_ name: String) throws {
        try Subscriber.validate(name: name)
    }

    @Test func fileNamesSortInPublicationOrder() {
        let names = [9, 10, 123_456].map {
            Spool.fileName(seq: Int64($0), eventType: "task.completed", eventID: "e")
        }
        #expect(names == names.sorted())
        #expect(names[0] == "000000000009.task.completed.e.json")
    }

    @Test func envelopeHasExactlyTheContractKeys() throws {
        let envelope = try EventEnvelope(
            eventType: "task.completed", taskID: "t1", traceID: "abc", timestamp: 1_764_777_600_123,
            source: "intake/test", payload: ["sha256": "00"])
        let object =
            try JSONSerialization.jsonObject(with: Data(envelope.json.utf8))
            as? [String: Any]
        #expect(
            Set(object?.keys.map { $0 } ?? [])
                == ["eventId", "eventType", "taskId", "traceId", "timestamp", "source", "payload"])
        #expect(object?["timestamp"] as? Int == 1_764_777_600_123)
        let noTask = EventEnvelope(
            eventType: "x", taskID: nil, traceID: "t", source: "s", payloadJSON: "{}")
        #expect(!noTask.json.contains("taskId"))
    }
}
