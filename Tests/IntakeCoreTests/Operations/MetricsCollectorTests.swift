import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("Metrics snapshot from the database")
struct MetricsCollectorTests {
    /// Runs of the three tasks used below: A downloads in 0.5 s, then its metadata run fails
    /// transiently after 0.1 s; B's download fails for good after 2 s; C waits.
    func fill(_ fixture: QueueFixture) throws -> (a: String, b: String, c: String) {
        let ids = try fixture.drop(["u:a", "u:b", "u:c"], now: 1_000).taskIDs
        let jobs = try fixture.claim(.download, limit: 2, now: 2_000)
        #expect(jobs.map(\.taskID) == [ids[0], ids[1]])
        try fixture.finish(jobs[0], QueueFixture.success(.download), now: 2_500)
        let metadata = try #require(try fixture.claim(.metadata, now: 3_000).first)
        try fixture.finish(metadata, .failed(.transient("timeout", "slow")), now: 3_100)
        try fixture.finish(jobs[1], .failed(.permanent("http_404", "gone")), now: 4_000)
        return (ids[0], ids[1], ids[2])
    }

    @Test("tasks, queues, events and stage durations come from what the coordinator wrote")
    func snapshot() throws {
        let fixture = try QueueFixture()
        let home = Home(root: fixture.folder.path)
        let collector = try MetricsCollector(home: home)
        _ = try collector.collect()
        let tasks = try fill(fixture)

        let first = try collector.collect()

        let counts = Dictionary(
            uniqueKeysWithValues: first.tasks.map { ("\($0.stage)/\($0.state)", $0.count) })
        #expect(counts.count == 20)
        #expect(
            counts.filter { $0.value != 0 } == [
                "download/queued": 1, "download/failed": 1, "metadata/retrying": 1,
            ])
        #expect(first.tasks.first.map { "\($0.stage)/\($0.state)" } == "download/queued")
        #expect(
            first.queues.filter { $0.count != 0 }.map { "\($0.queue)/\($0.state)=\($0.count)" }
                == ["download/ready=1", "metadata/retrying=1"])
        #expect(first.queues.count == 9)
        #expect(first.eventsUnpublished == 2)
        #expect(first.eventsPublished == 0)
        #expect(
            try durations(first) == [
                "download/succeeded": "1 in 0.5 s", "download/failed": "1 in 2 s",
                "metadata/retried": "1 in 0.1 s",
            ])
        #expect(first.stageDurations.count == 12)
        #expect(
            first.stageDurations.first.map { "\($0.stage)/\($0.outcome)" } == "download/succeeded")

        // Publish one event, lease C's job: the next snapshot sees both, and counts no run
        // twice.
        let oldest = try Outbox.unpublished(in: fixture.database, limit: 1).map(\.seq)
        try Outbox.markPublished(oldest, in: fixture.database)
        let leased = try #require(try fixture.claim(.download, now: 5_000).first)
        #expect(leased.taskID == tasks.c)

        let second = try collector.collect()

        #expect(second.eventsPublished == 1)
        #expect(second.eventsUnpublished == 1)
        #expect(
            second.queues.contains {
                $0.queue == "download" && $0.state == "leased" && $0.count == 1
            })
        #expect(
            second.queues.contains {
                $0.queue == "download" && $0.state == "ready" && $0.count == 0
            })
        #expect(try durations(second) == durations(first))

        try fixture.finish(leased, QueueFixture.success(.download), now: 5_250)
        let third = try collector.collect()
        #expect(try durations(third)["download/succeeded"] == "2 in 0.75 s")
        #expect(third.tasks.first { $0.stage == "metadata" && $0.state == "queued" }?.count == 1)
    }

    @Test("a collector opened mid-run measures runs in progress, not runs that already ended")
    func lookBack() throws {
        let fixture = try QueueFixture()
        let ids = try fixture.drop(["u:done-before", "u:in-progress"], now: 1_000).taskIDs
        let jobs = try fixture.claim(.download, limit: 2, now: 2_000)
        try fixture.finish(jobs[0], QueueFixture.success(.download), now: 2_100)
        #expect(jobs[1].taskID == ids[1])

        let collector = try MetricsCollector(home: Home(root: fixture.folder.path))
        #expect(try durations(collector.collect()).isEmpty)
        try fixture.finish(jobs[1], .failed(.permanent("http_404", "gone")), now: 2_700)

        #expect(try durations(collector.collect()) == ["download/failed": "1 in 0.7 s"])
    }

    @Test("jobs put back at shutdown count as released runs")
    func released() throws {
        let fixture = try QueueFixture()
        try fixture.drop(["u:a"], now: 1_000)
        let collector = try MetricsCollector(home: Home(root: fixture.folder.path))
        _ = try collector.collect()
        let job = try #require(try fixture.claim(.download, now: 2_000).first)
        #expect(
            try fixture.database.transaction { try fixture.coordinator.release(job, now: 2_040) })

        #expect(try durations(collector.collect()) == ["download/released": "1 in 0.04 s"])
    }

    @Test("subscribers' backlogs, plugin counters, downloaded bytes, pause and free disk")
    func inProcessAndSpool() throws {
        let fixture = try QueueFixture()
        let home = Home(root: fixture.folder.path)
        try home.createLayout(folderMode: 0o700)
        let notify = home.spool + "/subscribers/notify"
        for folder in ["/new", "/cur", "/failed"] {
            try FileManager.default.createDirectory(
                atPath: notify + folder, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(
                atPath: home.spool + "/subscribers/audit" + folder,
                withIntermediateDirectories: true)
        }
        for name in ["1.json", "2.json", ".tmp-3"] {
            #expect(
                FileManager.default.createFile(atPath: notify + "/new/" + name, contents: Data()))
        }
        var stats = PluginStats()
        stats.runs = 9
        stats.failures = 3
        stats.gaveUp = 1
        try JSONEncoder().encode(stats).write(to: URL(fileURLWithPath: notify + "/stats.json"))
        let downloaded = MetricCounter()
        downloaded.add(1_000)
        downloaded.add(234)
        let gate = PauseGate()
        gate.pause(reason: "disk full")
        let collector = try MetricsCollector(home: home, downloaded: downloaded, gate: gate)

        let snapshot = try collector.collect()

        #expect(
            snapshot.subscribers == [
                .init(name: "audit", backlog: 0, plugin: nil),
                .init(name: "notify", backlog: 2, plugin: stats),
            ])
        #expect(snapshot.downloadedBytes == 1_234)
        #expect(snapshot.paused)
        let free = try #require(snapshot.diskFreeBytes)
        #expect(free > 0)
        let text = MetricsWriter.render(snapshot.families)
        #expect(text.contains("intake_plugin_runs_total{plugin=\"notify\"} 9\n"))
        #expect(text.contains("intake_subscriber_backlog{subscriber=\"notify\"} 2\n"))
        #expect(!text.contains("intake_plugin_runs_total{plugin=\"audit\"}"))
        #expect(text.contains("intake_downloaded_bytes_total 1234\n"))
        #expect(text.contains("intake_paused 1\n"))
    }

    @Test("a home without a database cannot be collected from, and says which file")
    func missingDatabase() throws {
        let folder = TemporaryFolder("intake-metrics")
        let error = #expect(throws: DatabaseError.self) {
            try MetricsCollector(home: Home(root: folder.path))
        }
        #expect(error?.message.contains(folder.file("intake.db")) == true)
        #expect(!FileManager.default.fileExists(atPath: folder.file("intake.db")))
    }

    /// For each stage/outcome with runs: how many, and their total time in seconds.
    private func durations(_ snapshot: MetricsSnapshot) throws -> [String: String] {
        var result: [String: String] = [:]
        for entry in snapshot.stageDurations where entry.seconds.count > 0 {
            let total = (entry.seconds.sum * 1_000).rounded() / 1_000
            result["\(entry.stage)/\(entry.outcome)"] =
                "\(entry.seconds.count) in \(MetricsWriter.format(total)) s"
        }
        return result
    }
}
