import Foundation
import IntakeCore
import Testing
import TestSupport

/// The sample plugins of `Samples/plugins/`, run as users would run them.
@Suite("Sample plugins")
struct SamplePluginTests {
    private static let samples = Paths.repository + "/Samples/plugins"

    private func installSample(_ name: String, into fixture: PluginFixture) throws {
        let script = try String(contentsOfFile: Self.samples + "/" + name, encoding: .utf8)
        try fixture.install(name, script)
    }

    private func publish(
        _ fixture: PluginFixture, _ type: String, taskID: String, payload: String
    ) throws -> EventEnvelope {
        let envelope = EventEnvelope(
            eventType: type, taskID: taskID, traceID: Identifier.traceID(),
            source: "intake/test", payloadJSON: payload)
        try Outbox.append(envelope, to: fixture.events.database)
        fixture.relay.wake()
        return envelope
    }

    @Test func logFinishedAppendsOneLinePerFinishedTask() throws {
        let fixture = try PluginFixture()
        try installSample("log-finished", into: fixture)
        try fixture.start()
        _ = try publish(fixture, "image.analyzed", taskID: "t0", payload: "{}")
        let done = try publish(
            fixture, "task.completed", taskID: "t1", payload: #"{"source":"file:///in/a.jpg"}"#)
        let failed = try publish(
            fixture, "task.failed", taskID: "t2", payload: #"{"source":"https://x/b.png"}"#)
        let log = fixture.home.root + "/finished.log"
        #expect(
            eventually {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").split(separator: "\n")
                    .count == 2
            })
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            .map { $0.split(separator: "\t").map(String.init) }
        #expect(lines[0].count == 4 && lines[1].count == 4)
        #expect(Array(lines[0].dropFirst()) == ["task.completed", "t1", "file:///in/a.jpg"])
        #expect(Array(lines[1].dropFirst()) == ["task.failed", "t2", "https://x/b.png"])
        #expect(lines[0][0].hasSuffix("Z"))
        _ = (done, failed)
    }

    @Test func imageIndexKeepsOneLinePerImage() throws {
        let fixture = try PluginFixture()
        try installSample("image-index", into: fixture)
        try fixture.start()
        let sha = String(repeating: "ab", count: 32)
        _ = try publish(
            fixture, "image.metadata_extracted", taskID: "t1",
            payload: """
                {"sha256":"\(sha)","mimeType":"image/jpeg","width":640,"height":480,\
                "camera":{"make":"Canon","model":"EOS 5D"},\
                "gps":{"latitude":43.46,"longitude":11.88},"takenAt":"2008-05-30T15:56:01",\
                "exif":{}}
                """)
        _ = try publish(
            fixture, "image.analyzed", taskID: "t1",
            payload: """
                {"sha256":"\(sha)","phash":"c3a5","dhash":"0f0f","vectorLength":64,\
                "thumbnailPath":"/t.webp","nearDuplicates":[],"labels":["cat","sofa"]}
                """)
        let path = fixture.home.root + "/image-index.jsonl"
        var entry: [String: Any] = [:]
        #expect(
            eventually {
                guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                    text.split(separator: "\n").count == 1,
                    let object = try? JSONSerialization.jsonObject(with: Data(text.utf8))
                        as? [String: Any], object["phash"] != nil
                else { return false }
                entry = object
                return true
            })
        #expect(entry["sha256"] as? String == sha)
        #expect((entry["camera"] as? [String: String])?["model"] == "EOS 5D")
        #expect((entry["gps"] as? [String: Double])?["latitude"] == 43.46)
        #expect(entry["labels"] as? [String] == ["cat", "sofa"])
        #expect(entry["dhash"] as? String == "0f0f")
    }

    @Test func syslogFailuresSendsTheFailureToTheSystemLog() throws {
        let folder = TemporaryFolder()
        let socket = folder.file("log.sock")
        // A tiny syslog server: one datagram socket that prints the first message it receives.
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = [
            "python3", "-c",
            """
            import socket, sys
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.bind(sys.argv[1]); s.settimeout(20)
            print(s.recv(65536).decode(), flush=True)
            """, socket,
        ]
        let received = Pipe()
        server.standardOutput = received
        try server.run()
        #expect(eventually { FileManager.default.fileExists(atPath: socket) })

        let envelope = EventEnvelope(
            eventType: "task.failed", taskID: "t9", traceID: "4bf92f35", source: "intake/test",
            payloadJSON: """
                {"source":"https://example.test/a.jpg","stage":"download",\
                "error":{"code":"http_404","message":"the server answered 404"},"attempts":1}
                """)
        let event = try folder.write("event.json", envelope.json)
        let plugin = Process()
        plugin.executableURL = URL(fileURLWithPath: Self.samples + "/syslog-failures")
        plugin.arguments = [event]
        plugin.standardInput = FileHandle(forReadingAtPath: event)
        var environment = ProcessInfo.processInfo.environment
        environment["INTAKE_SYSLOG_SOCKET"] = socket
        environment["INTAKE_HOME"] = folder.path
        plugin.environment = environment
        try plugin.run()
        plugin.waitUntilExit()
        server.waitUntilExit()
        #expect(plugin.terminationStatus == 0)
        let message = String(
            decoding: received.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(message.contains("intake"))
        #expect(message.contains("task t9 failed in download: http_404"))
        #expect(message.contains("the server answered 404"))
        #expect(message.hasPrefix("<11>"), "priority user.err")
    }

    @Test func externalSubscriberHandlesItsNewFolderWithoutTheRunner() throws {
        let fixture = try PluginFixture()
        try fixture.relay.start()
        let output = fixture.events.folder.file("external.out")
        _ = FileManager.default.createFile(atPath: output, contents: nil)
        let subscriber = Process()
        subscriber.executableURL = URL(fileURLWithPath: Self.samples + "/external-subscriber.sh")
        subscriber.arguments = [fixture.home.root, "printer", "task.*"]
        var environment = ProcessInfo.processInfo.environment
        environment["RESCAN_S"] = "1"
        subscriber.environment = environment
        subscriber.standardOutput = FileHandle(forWritingAtPath: output)
        try subscriber.run()
        defer {
            // SIGKILL: a child of Foundation's Process inherits the test's blocked SIGTERM.
            kill(subscriber.processIdentifier, SIGKILL)
            subscriber.waitUntilExit()
        }
        #expect(eventually { fixture.subscriber("printer") != nil })
        _ = try publish(fixture, "image.analyzed", taskID: "t0", payload: "{}")
        _ = try publish(fixture, "task.completed", taskID: "t1", payload: "{}")
        _ = try publish(fixture, "task.failed", taskID: "t2", payload: "{}")
        #expect(eventually(15) { fixture.lines("external.out").count == 2 })
        #expect(fixture.lines("external.out") == ["task.completed t1", "task.failed t2"])
        let folder = try #require(fixture.subscriber("printer"))
        #expect(
            eventually { fixture.names(folder.new).isEmpty && fixture.names(folder.cur).isEmpty })
    }
}
