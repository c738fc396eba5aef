import Foundation
import Testing

@testable import IntakeCore

@Suite("Identifiers and logging")
struct SupportTests {
    @Test("UUIDv7s are well formed, version 7, and increase in the order they are made")
    func uuidV7() {
        let ids = (0..<5000).map { _ in Identifier.uuidV7() }
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        let pattern = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
        #expect(ids.allSatisfy { $0.wholeMatch(of: pattern) != nil })
        let stamp = Int64(ids[0].replacingOccurrences(of: "-", with: "").prefix(12), radix: 16)
        #expect(abs((stamp ?? 0) - Clock.nowMillis()) < 60_000)
    }

    @Test("trace ids are 32 lowercase hex digits")
    func traceID() {
        let id = Identifier.traceID()
        #expect(id.wholeMatch(of: /[0-9a-f]{32}/) != nil)
        #expect(id != Identifier.traceID())
    }

    @Test(
        "log values are quoted only when needed",
        arguments: [
            ("plain", "plain"), ("two words", "\"two words\""), ("", "\"\""),
            ("a=b", "\"a=b\""), ("line\nbreak", "\"line\\nbreak\""), ("q\"", "\"q\\\"\""),
        ])
    func quoting(_ value: String, _ expected: String) {
        #expect(Logger.quotedIfNeeded(value) == expected)
    }

    @Test("log lines go to the descriptor, filtered by level, as text or JSON")
    func lines() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let text = Logger(level: .info, format: .text, fileDescriptor: fds[1])
        text.debug("hidden")
        text.info("task failed", ("task.id", "t1"), ("path", "/a b"))
        let json = Logger(level: .warning, format: .json, fileDescriptor: fds[1])
        json.info("hidden too")
        json.warning("inbox slow", ("path", "/x"))
        close(fds[1])
        let output = String(
            decoding: FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
                .readDataToEndOfFile(), as: UTF8.self)
        let lines = output.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0].hasSuffix("info   task failed task.id=t1 path=\"/a b\""))
        let object =
            try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: String]
        #expect(object?["msg"] == "inbox slow")
        #expect(object?["level"] == "warning")
        #expect(object?["path"] == "/x")
    }
}
