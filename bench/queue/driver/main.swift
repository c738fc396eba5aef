import Foundation
import IntakeCore
import Synchronization

/// queue-driver: runs intake's task queues and coordinator with stage workers that succeed at
/// once, so the engine itself is measured (make bench) or killed mid-flight (the crash test).
///
///     queue-driver --db PATH [--tasks N] [--drop-size K] [--concurrency C] [--prefill F]
///
/// `--prefill F` first adds F tasks that already finished, each with its three finished jobs,
/// so the claim can be measured with a table full of history.
/// With `--tasks N` it records N tasks (in drops of K) unless the database already has tasks,
/// then runs the three stages until every task has ended, and prints one JSON line:
/// {"tasks":N,"jobs":J,"seconds":S,"jobsPerSecond":R}. Started again on the same database
/// after a kill, it recovers the previous run's leases and finishes the work.
struct Options {
    var database = ""
    var tasks = 0
    var dropSize = 100
    var concurrency = 8
    var prefill = 0
}

func parseOptions() -> Options {
    var options = Options()
    var arguments = CommandLine.arguments.dropFirst().makeIterator()
    while let argument = arguments.next() {
        let value = arguments.next() ?? ""
        switch argument {
        case "--db": options.database = value
        case "--tasks": options.tasks = Int(value) ?? 0
        case "--drop-size": options.dropSize = max(Int(value) ?? 100, 1)
        case "--concurrency": options.concurrency = max(Int(value) ?? 8, 1)
        case "--prefill": options.prefill = max(Int(value) ?? 0, 0)
        default:
            FileHandle.standardError.write(Data("queue-driver: unknown option \(argument)\n".utf8))
            exit(64)
        }
    }
    return options
}

let options = parseOptions()
let store = try SQLiteTaskStore(
    path: options.database, settings: QueueSettings(backoffBaseMillis: 10))
try store.recoverAtStart()
let reader = try Database(path: options.database)
var existing = try reader.scalar("SELECT count(*) FROM tasks") ?? 0

/// Adds `count` finished tasks with their finished jobs, in one transaction.
func prefill(_ count: Int, into database: Database) throws {
    try database.transaction {
        try database.run(
            "INSERT INTO drops (trace_id, origin, kind, created_at) VALUES ('prefill', 'x', "
                + "'url_list', 0)")
        let drop = database.lastInsertRowID
        for index in 0..<count {
            let id = Identifier.uuidV7(millis: Int64(index))
            try database.run(
                "INSERT INTO tasks (id, drop_id, trace_id, source, stage, state, created_at, "
                    + "updated_at, finished_at) VALUES (?1, ?2, 'prefill', 'x', 'done', "
                    + "'completed', 0, 0, 0)", [.text(id), .integer(drop)])
            for queue in ["download", "metadata", "analysis"] {
                try database.run(
                    "INSERT INTO jobs (task_id, queue, state, due_at, created_at, attempts) "
                        + "VALUES (?1, ?2, 'done', 0, 0, 1)", [.text(id), .text(queue)])
            }
        }
    }
}

if existing == 0 && options.prefill > 0 {
    try prefill(options.prefill, into: reader)
    existing = 0
}
let prefilled = try reader.scalar("SELECT count(*) FROM tasks WHERE trace_id = 'prefill'") ?? 0
let recorded = try reader.scalar("SELECT count(*) FROM tasks") ?? 0
existing = recorded - prefilled

let start = Clock.monotonicNanos()
if existing == 0 && options.tasks > 0 {
    var remaining = options.tasks
    var number = 0
    while remaining > 0 {
        let size = min(options.dropSize, remaining)
        let tasks = (0..<size).map { index in
            NewDrop.Task(source: "https://bench.invalid/\(number + index).jpg")
        }
        _ = try await store.record(
            NewDrop(origin: "queue-driver", kind: "url_list", workPath: nil, tasks: tasks))
        number += size
        remaining -= size
    }
}
let total = (try reader.scalar("SELECT count(*) FROM tasks") ?? 0)

let owner = "driver-\(getpid())"
let handled = Atomic<Int>(0)
let pools = TaskStage.queued.map { stage in
    StageWorkerPool(
        stage: stage, concurrency: options.concurrency, store: store, owner: owner,
        logger: .silent
    ) { job in
        handled.add(1, ordering: .relaxed)
        // Every task has content of its own, so none completes early as a duplicate.
        return .succeeded(
            StageResult(
                payload: ["sha256": .string(job.taskID), "stage": .string(job.stage.rawValue)],
                sha256: job.taskID, storePath: "/dev/null"))
    }
}
let workers = Task {
    await withDiscardingTaskGroup { group in
        for pool in pools {
            group.addTask { await pool.run() }
        }
    }
}
while true {
    let ended = try reader.scalar(
        "SELECT coalesce(sum(count), 0) FROM task_counts WHERE state IN ('completed', 'failed')"
    )
    if (ended ?? 0) >= total { break }
    try await Task.sleep(for: .milliseconds(5))
}
workers.cancel()
await workers.value
let statistics = store.writerStatistics
let seconds = Double(Clock.monotonicNanos() - start) / 1e9
let jobs = handled.load(ordering: .relaxed)
print(
    "{\"tasks\":\(total),\"jobs\":\(jobs),\"seconds\":\(String(format: "%.3f", seconds)),"
        + "\"jobsPerSecond\":\(Int(Double(jobs) / max(seconds, 1e-9))),"
        + "\"transactions\":\(statistics.transactions),\"operations\":\(statistics.operations)}")
