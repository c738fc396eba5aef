import Foundation
import IntakeCore
import Testing

/// A publisher killed with SIGKILL in the middle of its work, then started again.
///
/// The publisher runs in a real child process: this test binary itself, started again with a
/// filter that selects only `publisherChildProcess`, which is enabled only when the
/// environment names a home. (`intake run` does not run the publisher yet; once it does, an
/// end-to-end test against the daemon can take this one's place.)
@Suite("Publisher killed mid-batch")
struct PublisherCrashTests {
    private static let homeVariable = "INTAKE_TEST_PUBLISHER_HOME"

    @Test func everyEventReachesEveryMatchingSubscriberAfterSIGKILL() throws {
        let fixture = try EventFixture()
        let patterns = ["images": "image.*", "tasks": "task.*", "all": "*"]
        for (name, pattern) in patterns {
            try fixture.spool.subscribe(name: name, patterns: [try EventPattern(pattern)])
        }
        let types = ["image.downloaded", "image.analyzed", "task.completed", "task.failed"]
        var envelopes: [EventEnvelope] = []
        _ = try fixture.database.transaction {
            for index in 0..<3000 {
                let envelope = try EventEnvelope(
                    eventType: types[index % types.count], taskID: Identifier.uuidV7(),
                    traceID: Identifier.traceID(), source: "intake/test",
                    payload: ["n": "\(index)"])
                try Outbox.append(envelope, to: fixture.database)
                envelopes.append(envelope)
            }
        }
        let all = try #require(fixture.spool.subscriber(named: "all"))

        let first = try Self.startChild(home: fixture.home.root)
        let started = eventually(30) { fixture.names(in: all.new).count >= 100 }
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        #expect(started)
        #expect(first.terminationReason == .uncaughtSignal)
        let leftAfterKill = try fixture.unpublishedCount()
        #expect(leftAfterKill > 0, "the kill should land before the outbox was drained")

        let second = try Self.startChild(home: fixture.home.root)
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)

        #expect(try fixture.unpublishedCount() == 0)
        for (name, pattern) in patterns {
            let subscriber = try #require(fixture.spool.subscriber(named: name))
            let received = Set(fixture.names(in: subscriber.new))
            let matcher = try EventPattern(pattern)
            let expected = envelopes.filter { matcher.matches($0.eventType) }
            #expect(received.count == expected.count, "subscriber \(name)")
            for name in received {
                let object = try fixture.object(at: subscriber.new + "/" + name)
                #expect(object.count == 7, "complete envelope in \(name)")
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.spool.tmp).isEmpty)
    }

    /// The child: publishes the home's outbox and returns. Runs only inside the test above.
    @Test(.enabled(if: ProcessInfo.processInfo.environment[homeVariable] != nil))
    func publisherChildProcess() throws {
        let root = try #require(ProcessInfo.processInfo.environment[Self.homeVariable])
        let home = Home(root: root)
        var settings = OutboxRelay.Settings()
        settings.batchSize = 50
        let relay = OutboxRelay(
            databasePath: home.database,
            publisher: SpoolPublisher(spool: Spool(root: home.spool)), settings: settings)
        try relay.start()
        relay.stop()
    }

    private static func startChild(home: String) throws -> Process {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        child.arguments = [
            "--testing-library", "swift-testing", "--filter", "publisherChildProcess",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment[homeVariable] = home
        child.environment = environment
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        return child
    }
}
