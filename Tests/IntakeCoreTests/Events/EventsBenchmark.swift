import Foundation
import IntakeCore
import Testing

/// The events benchmark behind `bench/events/run`: it runs only when `INTAKE_BENCH=1`, and
/// prints a results table instead of asserting speed.
@Suite("Events benchmark")
struct EventsBenchmark {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["INTAKE_BENCH"] == "1"))
    func publishThroughputAndLatency() throws {
        let count = Int(ProcessInfo.processInfo.environment["INTAKE_BENCH_EVENTS"] ?? "") ?? 3000
        var lines = ["| measure | value |", "|---|---|"]
        for subscribers in [1, 4, 16] {
            let fixture = try EventFixture()
            for index in 0..<subscribers {
                try fixture.spool.subscribe(name: "s\(index)", patterns: [.everything])
            }
            _ = try fixture.database.transaction {
                for index in 0..<count {
                    let envelope = try EventEnvelope(
                        eventType: "task.completed", taskID: Identifier.uuidV7(),
                        traceID: Identifier.traceID(), source: "intake/bench",
                        payload: ["n": "\(index)", "source": "file:///inbox/\(index).jpg"])
                    try Outbox.append(envelope, to: fixture.database)
                }
            }
            let relay = OutboxRelay(
                databasePath: fixture.home.database,
                publisher: SpoolPublisher(spool: fixture.spool))
            let started = Clock.monotonicNanos()
            try relay.start()
            let seconds = Double(Clock.monotonicNanos() - started) / 1e9
            relay.stop()
            #expect(try fixture.unpublishedCount() == 0)
            lines.append(
                "| published, \(subscribers) subscriber(s), fsync on, \(count) events | "
                    + String(format: "%.0f events/s", Double(count) / seconds) + " |")
        }

        let fixture = try EventFixture()
        let subscriber = try fixture.spool.subscribe(name: "s", patterns: [.everything])
        let relay = OutboxRelay(
            databasePath: fixture.home.database, publisher: SpoolPublisher(spool: fixture.spool))
        try relay.start()
        defer { relay.stop() }
        var latencies: [Double] = []
        for _ in 0..<300 {
            let started = Clock.monotonicNanos()
            let envelope = try fixture.append("task.completed")
            relay.wake()
            let seq = try fixture.database.scalar("SELECT max(seq) FROM outbox") ?? 0
            let path =
                subscriber.new + "/"
                + Spool.fileName(seq: seq, eventType: "task.completed", eventID: envelope.eventID)
            let deadline = started + 5_000_000_000
            while access(path, F_OK) != 0 && Clock.monotonicNanos() < deadline {
                usleep(50)
            }
            latencies.append(Double(Clock.monotonicNanos() - started) / 1e6)
        }
        latencies.sort()
        lines.append(
            "| commit to file in new/, median | "
                + String(format: "%.2f ms", latencies[latencies.count / 2]) + " |")
        lines.append(
            "| commit to file in new/, 99th percentile | "
                + String(format: "%.2f ms", latencies[latencies.count * 99 / 100]) + " |")
        print(lines.joined(separator: "\n"))
    }
}
