import Foundation
import IntakeCore
import Synchronization

// Drives the Inbox library directly (no daemon yet): a real watched inbox in a temporary home,
// a real SQLite database, and a sink that does what the coordinator does (marks the drop
// claimed and inserts its task in one transaction) and notes when each drop was recorded.
//
// Usage: intake-inbox-bench latency SETTLE_MS COUNT | burst COUNT | serve HOME SETTLE_MS

/// Records drops like the coordinator and notes the monotonic time each was recorded.
final class TimingSink: DropSink {
    private let database: Mutex<Database>
    let recorded = Mutex<[String: UInt64]>([:])

    init(path: String) throws {
        database = Mutex(try Database(path: path))
    }

    var count: Int { recorded.withLock { $0.count } }

    func record(_ drops: [ClaimedDrop]) throws {
        try database.withLock { database in
            try database.transaction {
                for drop in drops {
                    try DropLedger.markClaimed(drop, in: database)
                    let now = Clock.nowMillis()
                    try database.run(
                        """
                        INSERT INTO tasks (id, drop_id, trace_id, source, stage, state,
                            created_at, updated_at)
                        VALUES (?1, ?2, ?3, ?4, 'download', 'queued', ?5, ?5)
                        """,
                        [
                            .text(Identifier.uuidV7()), .integer(drop.dropID),
                            .text(drop.traceID), .text(drop.origin), .integer(now),
                        ])
                }
            }
        }
        let now = Clock.monotonicNanos()
        recorded.withLock { times in
            for drop in drops { times[drop.origin] = now }
        }
    }
}

/// A 1x1 PNG.
let png: [UInt8] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
    0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
    0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
    0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
]

func writeFile(_ path: String) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    precondition(descriptor >= 0, "open \(path)")
    _ = png.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
}

func sleepMillis(_ millis: Double) {
    var time = timespec(tv_sec: 0, tv_nsec: Int(millis * 1_000_000))
    nanosleep(&time, nil)
}

/// A temporary home with a migrated database, and an inbox running on it.
func withInbox(
    settleMillis: Int, _ body: (Home, TimingSink) async throws -> Void
) async throws {
    let root = FileManager.default.temporaryDirectory.path + "/intake-inbox-bench-\(getpid())"
    try? FileManager.default.removeItem(atPath: root)
    defer { try? FileManager.default.removeItem(atPath: root) }
    let home = Home(root: root)
    try home.createLayout(folderMode: 0o700)
    try FileManager.default.createDirectory(
        atPath: root + "/staging", withIntermediateDirectories: true)
    try Schema.apply(to: try Database(path: home.database))
    let sink = try TimingSink(path: home.database)
    let inbox = Inbox(
        home: home, settings: InboxSettings(settleMillis: settleMillis, rescanSeconds: 3600))
    let task = Task { try await inbox.run(sink: sink) }
    while !inbox.isReady { sleepMillis(5) }
    try await body(home, sink)
    task.cancel()
    try await task.value
}

func waitFor(_ sink: TimingSink, count: Int, seconds: Double) throws {
    let deadline = Date().addingTimeInterval(seconds)
    while sink.count < count {
        guard Date() < deadline else {
            throw NSError(
                domain: "bench", code: 1,
                userInfo: [
                    NSLocalizedDescriptionKey: "timed out: \(sink.count) of \(count) recorded"
                ])
        }
        sleepMillis(5)
    }
}

func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
    sorted[min(sorted.count - 1, Int((Double(sorted.count) * fraction).rounded(.up)) - 1)]
}

/// Latency from rename into the inbox to recorded, one drop every 5 ms.
func latency(settleMillis: Int, count: Int) async throws {
    try await withInbox(settleMillis: settleMillis) { home, sink in
        var renamedAt: [String: UInt64] = [:]
        for index in 0..<count {
            let staged = home.root + "/staging/\(index).png"
            writeFile(staged)
            let target = home.inbox + "/\(index).png"
            renamedAt["file://" + target] = Clock.monotonicNanos()
            precondition(rename(staged, target) == 0)
            sleepMillis(5)
        }
        try waitFor(sink, count: count, seconds: 60)
        let recorded = sink.recorded.withLock { $0 }
        let millis = renamedAt.map { origin, start in
            Double(recorded[origin]! - start) / 1_000_000
        }.sorted()
        print(
            String(
                format: "latency  settle_ms=%-4d drops=%-6d median=%8.2f ms  p99=%8.2f ms",
                settleMillis, count, percentile(millis, 0.5), percentile(millis, 0.99)))
    }
}

/// Drops per second when `count` files are renamed into the inbox as fast as possible.
func burst(count: Int) async throws {
    try await withInbox(settleMillis: 0) { home, sink in
        for index in 0..<count { writeFile(home.root + "/staging/\(index).png") }
        let start = Clock.monotonicNanos()
        for index in 0..<count {
            precondition(
                rename(home.root + "/staging/\(index).png", home.inbox + "/\(index).png") == 0)
        }
        let renamed = Clock.monotonicNanos()
        try waitFor(sink, count: count, seconds: 300)
        let last = sink.recorded.withLock { $0.values.max()! }
        let seconds = Double(last - start) / 1_000_000_000
        print(
            String(
                format: "burst    settle_ms=0    drops=%-6d seconds=%7.2f  drops/s=%8.0f"
                    + "  (the writer's renames alone took %.2f s)",
                count, seconds, Double(count) / seconds, Double(renamed - start) / 1e9))
    }
}

/// Runs an inbox on an existing home until the process is killed: for crash tests by hand.
func serve(root: String, settleMillis: Int) async throws {
    let home = Home(root: root)
    try home.createLayout(folderMode: 0o700)
    try Schema.apply(to: try Database(path: home.database))
    let sink = try TimingSink(path: home.database)
    let inbox = Inbox(
        home: home, settings: InboxSettings(settleMillis: settleMillis, rescanSeconds: 3600))
    try await inbox.run(sink: sink)
}

let arguments = CommandLine.arguments
switch arguments.count > 1 ? arguments[1] : "" {
case "latency" where arguments.count == 4:
    try await latency(settleMillis: Int(arguments[2])!, count: Int(arguments[3])!)
case "burst" where arguments.count == 3:
    try await burst(count: Int(arguments[2])!)
case "serve" where arguments.count == 4:
    try await serve(root: arguments[2], settleMillis: Int(arguments[3])!)
default:
    FileHandle.standardError.write(
        Data(
            "usage: intake-inbox-bench latency SETTLE_MS COUNT | burst COUNT | serve HOME SETTLE_MS\n"
                .utf8))
    exit(64)
}
