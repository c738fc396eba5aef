import Foundation
import IntakeCore
import Testing

@Suite("Spool publisher and outbox relay")
struct SpoolPublisherTests {
    private static let envelopeKeys: Set<String> = [
        "eventId", "eventType", "taskId", "traceId", "timestamp", "source", "payload",
    ]

    @Test func eventsReachEveryMatchingSubscriberAndNoOtherInOrder() throws {
        let fixture = try EventFixture()
        let patterns = [
            "images": ["image.*"], "tasks": ["task.*"], "all": ["*"], "failures": ["task.failed"],
            "nothing": ["video.*"],
        ]
        for (name, list) in patterns {
            try fixture.spool.subscribe(name: name, patterns: list.map { try EventPattern($0) })
        }
        let types = [
            "image.downloaded", "image.metadata_extracted", "image.analyzed", "task.completed",
            "task.failed",
        ]
        var envelopes: [EventEnvelope] = []
        for index in 0..<40 {
            envelopes.append(
                try fixture.append(types[index % types.count], payload: ["n": "\(index)"]))
        }
        var settings = OutboxRelay.Settings()
        settings.batchSize = 7
        let relay = OutboxRelay(
            databasePath: fixture.home.database, publisher: SpoolPublisher(spool: fixture.spool),
            settings: settings)
        try relay.start()
        defer { relay.stop() }

        #expect(try fixture.unpublishedCount() == 0)
        for (name, list) in patterns {
            let subscriber = try #require(fixture.spool.subscriber(named: name))
            let received = fixture.names(in: subscriber.new)
            let expected = envelopes.filter { envelope in
                list.contains { try! EventPattern($0).matches(envelope.eventType) }
            }
            #expect(received.count == expected.count, "subscriber \(name)")
            #expect(received == received.sorted())
            for (file, envelope) in zip(received, expected) {
                #expect(file.hasSuffix(".\(envelope.eventType).\(envelope.eventID).json"))
                let object = try fixture.object(at: subscriber.new + "/" + file)
                #expect(Set(object.keys) == Self.envelopeKeys)
                #expect(object["eventId"] as? String == envelope.eventID)
                let text = try String(contentsOfFile: subscriber.new + "/" + file, encoding: .utf8)
                #expect(text == envelope.json)
            }
        }
        let day = fixture.spool.dayFolder(millis: envelopes[0].timestamp)
        #expect(fixture.names(in: day).count == 40)
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.spool.tmp).isEmpty)
    }

    @Test func aSubscriberReceivesOnlyEventsPublishedAfterItExists() throws {
        let fixture = try EventFixture()
        let relay = OutboxRelay(
            databasePath: fixture.home.database, publisher: SpoolPublisher(spool: fixture.spool))
        try relay.start()
        defer { relay.stop() }
        try fixture.append("task.completed")
        relay.drainNow()
        let late = try fixture.spool.subscribe(name: "late", patterns: [.everything])
        let second = try fixture.append("task.completed")
        relay.drainNow()
        let received = fixture.names(in: late.new)
        #expect(received.count == 1)
        #expect(received.first?.contains(second.eventID) == true)
    }

    @Test func republishingAfterACrashIsSafeAndLeavesNoPartialFile() throws {
        let fixture = try EventFixture()
        let subscriber = try fixture.spool.subscribe(name: "s", patterns: [.everything])
        for _ in 0..<5 { try fixture.append("image.analyzed") }
        let publisher = SpoolPublisher(spool: fixture.spool)
        let batch = try Outbox.unpublished(in: fixture.database, limit: 100)
        try publisher.publish(batch)
        // A crash before the rows were marked published, while a later write had left half a
        // file in tmp/: the restart cleans tmp/ and publishes the same batch again.
        let first = fixture.names(in: subscriber.new)[0]
        let inodeBefore = try #require(
            FileManager.default.attributesOfItem(atPath: subscriber.new + "/" + first)[
                .systemFileNumber] as? UInt64)
        try Data("{\"eventId\":".utf8).write(
            to: URL(fileURLWithPath: fixture.spool.tmp + "/" + first))
        try publisher.prepare()
        try publisher.publish(batch)
        #expect(fixture.names(in: subscriber.new).count == 5)
        for name in fixture.names(in: subscriber.new) {
            let object = try fixture.object(at: subscriber.new + "/" + name)
            #expect(Set(object.keys) == Self.envelopeKeys)
        }
        let inodeAfter = try #require(
            FileManager.default.attributesOfItem(atPath: subscriber.new + "/" + first)[
                .systemFileNumber] as? UInt64)
        #expect(inodeBefore == inodeAfter, "an existing link counts as delivered")
        #expect(try FileManager.default.contentsOfDirectory(atPath: fixture.spool.tmp).isEmpty)
    }

    @Test func wakeDeliversWithoutWaitingForTheSafetyTimer() throws {
        let fixture = try EventFixture()
        let subscriber = try fixture.spool.subscribe(name: "s", patterns: [.everything])
        var settings = OutboxRelay.Settings()
        settings.safetyInterval = .seconds(3600)
        let relay = OutboxRelay(
            databasePath: fixture.home.database, publisher: SpoolPublisher(spool: fixture.spool),
            settings: settings)
        try relay.start()
        defer { relay.stop() }
        try fixture.append("task.completed")
        relay.wake()
        #expect(eventually(5) { fixture.names(in: subscriber.new).count == 1 })
    }

    @Test func theSafetyTimerPublishesCommitsNobodyWokeItFor() throws {
        let fixture = try EventFixture()
        let subscriber = try fixture.spool.subscribe(name: "s", patterns: [.everything])
        var settings = OutboxRelay.Settings()
        settings.safetyInterval = .milliseconds(200)
        let relay = OutboxRelay(
            databasePath: fixture.home.database, publisher: SpoolPublisher(spool: fixture.spool),
            settings: settings)
        try relay.start()
        defer { relay.stop() }
        try fixture.append("task.completed")
        #expect(eventually(5) { fixture.names(in: subscriber.new).count == 1 })
    }

    @Test func retentionPrunesEventsButNeverSubscriberFolders() throws {
        let fixture = try EventFixture()
        let subscriber = try fixture.spool.subscribe(name: "s", patterns: [.everything])
        let old = EventEnvelope(
            eventType: "task.completed", taskID: "t", traceID: "r",
            timestamp: Clock.nowMillis() - 30 * 86_400_000, source: "intake/test",
            payloadJSON: "{}")
        try Outbox.append(old, to: fixture.database)
        try fixture.append("task.completed")
        let publisher = SpoolPublisher(spool: fixture.spool, retentionDays: 14)
        try publisher.publish(try Outbox.unpublished(in: fixture.database, limit: 10))
        let oldDay = fixture.spool.dayFolder(millis: old.timestamp)
        #expect(fixture.names(in: oldDay).count == 1)

        try publisher.maintain(now: Clock.nowMillis())
        #expect(!FileManager.default.fileExists(atPath: oldDay))
        #expect(fixture.names(in: fixture.spool.dayFolder(millis: Clock.nowMillis())).count == 1)
        let kept = fixture.names(in: subscriber.new)
        #expect(kept.count == 2)
        #expect(
            try fixture.object(at: subscriber.new + "/" + kept[0])["eventId"] as? String
                == old.eventID)
    }

    @Test func subscribeUnsubscribeAndRetry() throws {
        let fixture = try EventFixture()
        #expect(throws: EventError.self) {
            try fixture.spool.subscribe(name: "../escape", patterns: [.everything])
        }
        #expect(!FileManager.default.fileExists(atPath: fixture.home.spool + "/escape"))
        let subscriber = try fixture.spool.subscribe(name: "s", patterns: [.everything])
        try Data("{}".utf8).write(to: URL(fileURLWithPath: subscriber.failed + "/1.x.y.json"))
        try Data("why".utf8).write(
            to: URL(fileURLWithPath: subscriber.failed + "/1.x.y.json.error"))
        #expect(try fixture.spool.retryFailed(name: "s") == 1)
        #expect(fixture.names(in: subscriber.new) == ["1.x.y.json"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: subscriber.failed).isEmpty)
        try fixture.spool.unsubscribe(name: "s")
        #expect(fixture.spool.subscriber(named: "s") == nil)
        #expect(throws: EventError.self) { try fixture.spool.unsubscribe(name: "s") }
    }

    @Test func eventsQueryFiltersByTypeTaskAndTrace() throws {
        let fixture = try EventFixture()
        let first = try fixture.append("image.downloaded", taskID: "task-a")
        try fixture.append("task.completed", taskID: "task-a")
        try fixture.append("task.failed", taskID: "task-b")
        var query = Outbox.Query()
        query.types = [try EventPattern("task.*")]
        #expect(try Outbox.events(in: fixture.database, matching: query).count == 2)
        query = Outbox.Query()
        query.taskID = "task-a"
        #expect(
            try Outbox.events(in: fixture.database, matching: query).map(\.eventType)
                == ["image.downloaded", "task.completed"])
        query = Outbox.Query()
        query.traceID = first.traceID
        #expect(
            try Outbox.events(in: fixture.database, matching: query).map(\.eventID)
                == [first.eventID])
        query = Outbox.Query()
        query.limit = 2
        #expect(
            try Outbox.events(in: fixture.database, matching: query).map(\.eventType)
                == ["task.completed", "task.failed"])
    }
}
