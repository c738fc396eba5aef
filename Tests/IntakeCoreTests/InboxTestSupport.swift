import Foundation
import Synchronization
import Testing

@testable import IntakeCore

/// A `DropSink` for tests that does what the coordinator does, in the real database: in one
/// transaction per batch it marks each drop claimed and creates its tasks (one queued task per
/// image and per URL, one failed task per invalid line or rejection).
final class RecordingSink: DropSink {
    private let database: Mutex<Database>
    /// When set, the first `record` call waits for it, so the inbox's thread stops reading
    /// events while a test keeps dropping files.
    private let gate: DispatchSemaphore?
    private let gateUsed = Atomic<Bool>(false)
    private let calls = Atomic<Int>(0)

    init(databasePath: String, gate: DispatchSemaphore? = nil) throws {
        database = Mutex(try Database(path: databasePath))
        self.gate = gate
    }

    /// How many times `record` was called.
    var callCount: Int { calls.load(ordering: .relaxed) }

    func record(_ drops: [ClaimedDrop]) throws {
        calls.add(1, ordering: .relaxed)
        if let gate, !gateUsed.exchange(true, ordering: .relaxed) { gate.wait() }
        try database.withLock { database in
            try database.transaction {
                for drop in drops {
                    try DropLedger.markClaimed(drop, in: database)
                    switch drop.kind {
                    case .image:
                        try insertTask(drop, source: drop.origin, error: nil, in: database)
                    case .urlList(let list):
                        for url in list.urls {
                            try insertTask(drop, source: url, error: nil, in: database)
                        }
                        for line in list.invalidLines {
                            try insertTask(
                                drop, source: drop.origin,
                                error: (URLList.invalidURLCode, line.message), in: database)
                        }
                    case .rejected(let rejection):
                        try insertTask(
                            drop, source: drop.origin, error: (rejection.code, rejection.message),
                            in: database)
                    }
                }
            }
        }
    }

    private func insertTask(
        _ drop: ClaimedDrop, source: String, error: (String, String)?, in database: Database
    ) throws {
        let now = Clock.nowMillis()
        try database.run(
            """
            INSERT INTO tasks (id, drop_id, trace_id, source, stage, state, error_code,
                error_message, created_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, 'download', ?5, ?6, ?7, ?8, ?8)
            """,
            [
                .text(Identifier.uuidV7()), .integer(drop.dropID), .text(drop.traceID),
                .text(source), .text(error == nil ? "queued" : "failed"), .optional(error?.0),
                .optional(error?.1), .integer(now),
            ])
    }
}

/// A recorded drop as a test reads it back.
struct InboxRecord: Equatable {
    let id: Int64
    let origin: String
    let kind: String
    let state: String
    let workPath: String?
}

/// A task as a test reads it back.
struct RecordedTask: Equatable {
    let origin: String
    let source: String
    let state: String
    let errorCode: String?
    let errorMessage: String?
}

/// A temporary home with its layout and a migrated database, removed when released.
final class InboxHarness {
    let root: String
    let home: Home
    let database: Database

    init() throws {
        let base = FileManager.default.temporaryDirectory.path
        root = base + "/intake-inbox-test-" + UUID().uuidString
        home = Home(root: root)
        try home.createLayout(folderMode: 0o700)
        database = try Database(path: home.database)
        try Schema.apply(to: database)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    func path(_ relative: String) -> String { home.inbox + "/" + relative }

    func drops() throws -> [InboxRecord] {
        try database.rows(
            "SELECT id, origin, kind, state, work_path FROM drops ORDER BY id"
        ) {
            InboxRecord(
                id: $0.int(0), origin: $0.text(1), kind: $0.text(2), state: $0.text(3),
                workPath: $0.optionalText(4))
        }
    }

    func tasks() throws -> [RecordedTask] {
        try database.rows(
            """
            SELECT drops.origin, tasks.source, tasks.state, tasks.error_code, tasks.error_message
            FROM tasks JOIN drops ON drops.id = tasks.drop_id ORDER BY tasks.rowid
            """
        ) {
            RecordedTask(
                origin: $0.text(0), source: $0.text(1), state: $0.text(2),
                errorCode: $0.optionalText(3), errorMessage: $0.optionalText(4))
        }
    }

    /// Drops that reached a final state (not `claiming`).
    func recordedCount() throws -> Int {
        Int(try database.scalar("SELECT count(*) FROM drops WHERE state <> 'claiming'") ?? 0)
    }

    /// The files (not folders) left anywhere under `folder`.
    func files(under folder: String) -> [String] {
        var found: [String] = []
        var pending = [folder]
        while let current = pending.popLast() {
            InboxWatcher.forEachEntry(in: current) { name, isFolder in
                if isFolder { pending.append(current + "/" + name) } else { found.append(name) }
            }
        }
        return found.sorted()
    }

    /// Starts `inbox.run(sink:)` and waits until its start-up scan is done.
    func start(_ inbox: Inbox, sink: RecordingSink) async throws -> Task<Void, any Error> {
        let task = Task { try await inbox.run(sink: sink) }
        try await waitUntil("the inbox is ready", seconds: 60) { inbox.isReady }
        return task
    }

    /// Waits until `count` drops are recorded.
    func waitForDrops(_ count: Int, seconds: Double = 20) async throws {
        try await waitUntil("\(count) drops recorded", seconds: seconds) {
            (try? self.recordedCount()) ?? 0 >= count
        }
    }
}

struct TimedOut: Error, CustomStringConvertible {
    let description: String
}

/// Checks `condition` every 20 ms until it holds, failing after `seconds`.
func waitUntil(
    _ what: String, seconds: Double = 20, _ condition: () throws -> Bool
) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while try !condition() {
        guard Date() < deadline else { throw TimedOut(description: "timed out waiting: \(what)") }
        try await Task.sleep(nanoseconds: 20_000_000)
    }
}

/// Runs `command` with `/bin/sh -c` and returns its exit status.
@discardableResult
func shell(_ command: String) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}

/// Writes `bytes` to `path` with open, write and close, as a plain writer does.
func writeFile(_ path: String, _ bytes: [UInt8]) {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
    precondition(descriptor >= 0, "open \(path): \(String(cString: strerror(errno)))")
    _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    close(descriptor)
}

func writeFile(_ path: String, _ text: String) {
    writeFile(path, Array(text.utf8))
}

/// A valid 1x1 PNG: what libmagic calls `image/png`.
let tinyPNG: [UInt8] = [
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
    0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
    0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
    0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
    0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
]

/// The shared test corpus: `../shared/corpus` beside the package's root.
let corpusFolder =
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path + "/shared/corpus"

/// A JPEG of the shared test corpus.
let corpusJPEG = corpusFolder + "/exif-samples/jpg/Canon_40D.jpg"
