import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("Prometheus metrics file")
struct MetricsWriterTests {
    /// A snapshot with a bit of everything, including label values that need escaping.
    static func sample() -> MetricsSnapshot {
        var snapshot = MetricsSnapshot()
        snapshot.tasks = [
            .init(stage: "download", state: "queued", count: 3),
            .init(stage: "done", state: "completed", count: 12),
        ]
        snapshot.queues = [
            .init(queue: "download", state: "ready", count: 2),
            .init(queue: "download", state: "leased", count: 1),
        ]
        snapshot.eventsPublished = 40
        snapshot.eventsUnpublished = 2
        var seconds = Histogram(upperBounds: [0.1, 1, 10])
        for value in [0.05, 0.1, 0.5, 2, 60] { seconds.observe(value) }
        snapshot.stageDurations = [.init(stage: "download", outcome: "succeeded", seconds: seconds)]
        snapshot.downloadedBytes = 1_048_576
        var stats = PluginStats()
        stats.runs = 7
        stats.failures = 2
        stats.gaveUp = 1
        snapshot.subscribers = [
            .init(name: "audit", backlog: 0, plugin: nil),
            .init(name: "notify", backlog: 5, plugin: stats),
        ]
        snapshot.paused = true
        snapshot.diskFreeBytes = 5_000_000_000
        return snapshot
    }

    static let golden = """
        # HELP intake_tasks Tasks by stage and state.
        # TYPE intake_tasks gauge
        intake_tasks{stage="download",state="queued"} 3
        intake_tasks{stage="done",state="completed"} 12
        # HELP intake_queue_jobs Jobs waiting (ready, retrying) or being worked on (leased), by queue.
        # TYPE intake_queue_jobs gauge
        intake_queue_jobs{queue="download",state="ready"} 2
        intake_queue_jobs{queue="download",state="leased"} 1
        # HELP intake_events_published_total Events published into the spool.
        # TYPE intake_events_published_total counter
        intake_events_published_total 40
        # HELP intake_events_unpublished Events committed to the outbox and not yet published.
        # TYPE intake_events_unpublished gauge
        intake_events_unpublished 2
        # HELP intake_stage_duration_seconds How long runs of a stage took, by how they ended.
        # TYPE intake_stage_duration_seconds histogram
        intake_stage_duration_seconds_bucket{stage="download",outcome="succeeded",le="0.1"} 2
        intake_stage_duration_seconds_bucket{stage="download",outcome="succeeded",le="1"} 3
        intake_stage_duration_seconds_bucket{stage="download",outcome="succeeded",le="10"} 4
        intake_stage_duration_seconds_bucket{stage="download",outcome="succeeded",le="+Inf"} 5
        intake_stage_duration_seconds_sum{stage="download",outcome="succeeded"} 62.65
        intake_stage_duration_seconds_count{stage="download",outcome="succeeded"} 5
        # HELP intake_downloaded_bytes_total Bytes received by the download stage since the daemon started.
        # TYPE intake_downloaded_bytes_total counter
        intake_downloaded_bytes_total 1048576
        # HELP intake_subscriber_backlog Events waiting in a subscriber's new/ folder.
        # TYPE intake_subscriber_backlog gauge
        intake_subscriber_backlog{subscriber="audit"} 0
        intake_subscriber_backlog{subscriber="notify"} 5
        # HELP intake_plugin_runs_total Runs of a plugin, retries included.
        # TYPE intake_plugin_runs_total counter
        intake_plugin_runs_total{plugin="notify"} 7
        # HELP intake_plugin_failures_total Runs of a plugin that did not exit with status 0.
        # TYPE intake_plugin_failures_total counter
        intake_plugin_failures_total{plugin="notify"} 2
        # HELP intake_plugin_gave_up_total Events a plugin's subscriber gave up on (moved to failed/).
        # TYPE intake_plugin_gave_up_total counter
        intake_plugin_gave_up_total{plugin="notify"} 1
        # HELP intake_paused 1 while the daemon holds new work back (for example on a full disk).
        # TYPE intake_paused gauge
        intake_paused 1
        # HELP intake_disk_free_bytes Bytes intake may still write on the home's file system.
        # TYPE intake_disk_free_bytes gauge
        intake_disk_free_bytes 5000000000

        """

    @Test("a snapshot renders to exactly the expected exposition text")
    func golden() {
        let text = MetricsWriter.render(MetricsWriterTests.sample().families)
        #expect(text == MetricsWriterTests.golden)
    }

    @Test("label values escape backslash, quote and line feed; help escapes backslash and LF")
    func escaping() {
        let family = MetricFamily(
            name: "x_total", help: "a \\ b\nc \"q\"", kind: .counter,
            samples: [.init([.init("path", "C:\\in \"box\"\nnext")], 1)])
        #expect(
            MetricsWriter.render([family]) == """
                # HELP x_total a \\\\ b\\nc "q"
                # TYPE x_total counter
                x_total{path="C:\\\\in \\"box\\"\\nnext"} 1

                """)
    }

    @Test(
        "numbers: integers plain, fractions in full, infinities and NaN spelled as Prometheus does",
        arguments: [
            (0.0, "0"), (42.0, "42"), (-3.0, "-3"), (0.25, "0.25"), (1e-05, "1e-05"),
            (1e20, "1e+20"), (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"),
            (Double.nan, "NaN"),
        ])
    func numbers(value: Double, text: String) {
        #expect(MetricsWriter.format(value) == text)
    }

    @Test("a histogram counts each observation into the first bucket that holds it")
    func histogram() {
        var histogram = Histogram(upperBounds: [1, 2])
        for value in [0.5, 1, 1.5, 2, 3, 4] { histogram.observe(value) }
        #expect(histogram.counts == [2, 2, 2])
        #expect(histogram.cumulativeCounts == [2, 4, 6])
        #expect(histogram.count == 6)
        #expect(histogram.sum == 12)
    }

    @Test("the file is replaced atomically, with the home's file mode, and no temporary is left")
    func atomicWrite() throws {
        let folder = TemporaryFolder("intake-metrics")
        let home = Home(root: folder.path)
        let path = MetricsWriter.path(in: home)
        #expect(path == folder.path + "/metrics.prom")
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
        let oldInode = try inode(of: path)
        let previous = umask(0o077)
        defer { umask(previous) }

        try MetricsWriter.write(MetricsWriterTests.sample().families, to: path, mode: 0o640)

        #expect(try String(contentsOfFile: path, encoding: .utf8) == MetricsWriterTests.golden)
        var status = stat()
        #expect(stat(path, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o640)
        #expect(try inode(of: path) != oldInode)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["metrics.prom"])
    }

    @Test("a folder that cannot be written gives metrics_unwritable naming the file")
    func unwritable() throws {
        let folder = TemporaryFolder("intake-metrics")
        let path = folder.file("missing/metrics.prom")
        let error = #expect(throws: OperationsError.self) {
            try MetricsWriter.write("x 1\n", to: path, mode: 0o600)
        }
        #expect(error?.code == "metrics_unwritable")
        #expect(error?.message.contains(path) == true)
    }

    @Test(
        "Prometheus's own text parser reads every line back with the same values",
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: MetricsWriterTests.python),
            "needs .build/venv with prometheus-client: run `make venv`"))
    func prometheusParser() throws {
        let folder = TemporaryFolder("intake-metrics")
        let path = folder.file("metrics.prom")
        try MetricsWriter.write(MetricsWriterTests.sample().families, to: path, mode: 0o600)
        let script = """
            import json, sys
            from prometheus_client.parser import text_string_to_metric_families
            out = []
            for family in text_string_to_metric_families(open(sys.argv[1]).read()):
                for s in family.samples:
                    out.append([family.name, family.type, s.name, s.labels, s.value])
            print(json.dumps(out))
            """
        let result = try run(MetricsWriterTests.python, ["-c", script, path])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try #require(
            JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[Any]])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let sampleLines = text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(parsed.count == sampleLines.count)
        var seen: [String: Double] = [:]
        var types: [String: String] = [:]
        for entry in parsed {
            let family = entry[0] as? String ?? ""
            types[family] = entry[1] as? String
            let labels = (entry[3] as? [String: String] ?? [:]).sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            seen["\(entry[2] as? String ?? ""){\(labels)}"] = (entry[4] as? NSNumber)?.doubleValue
        }
        #expect(types["intake_stage_duration_seconds"] == "histogram")
        #expect(types["intake_tasks"] == "gauge")
        #expect(types["intake_plugin_runs"] == "counter")
        #expect(seen["intake_tasks{stage=done,state=completed}"] == 12)
        #expect(seen["intake_events_published_total{}"] == 40)
        #expect(
            seen["intake_stage_duration_seconds_bucket{le=+Inf,outcome=succeeded,stage=download}"]
                == 5)
        #expect(
            seen["intake_stage_duration_seconds_sum{outcome=succeeded,stage=download}"] == 62.65)
        #expect(seen["intake_plugin_failures_total{plugin=notify}"] == 2)
        #expect(seen["intake_disk_free_bytes{}"] == 5_000_000_000)
    }

    static let python = Paths.repository + "/.build/venv/bin/python"

    private func inode(of path: String) throws -> ino_t {
        var status = stat()
        guard stat(path, &status) == 0 else { throw POSIXError(.ENOENT) }
        return status.st_ino
    }
}
