import Foundation

/// `intake status`: whether a daemon holds the home, tasks by stage and state, queue depths,
/// recent throughput and failures, and subscriber backlogs.
enum StatusCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "status",
        summary: "daemon up or not; tasks by stage and state; queues; recent failures",
        options: [.json])

    /// The document `intake status --json` prints.
    struct Report: Encodable {
        struct DaemonState: Encodable {
            let running: Bool
            let ready: Bool
            let pid: Int32?
        }

        struct DatabaseState: Encodable {
            let path: String
            let exists: Bool
            let schemaVersion: Int?
        }

        struct Finished: Encodable {
            let completed: Int
            let failed: Int
        }

        struct Subscriber: Encodable {
            let name: String
            let backlog: Int
            let failed: Int
        }

        let home: String
        let daemon: DaemonState
        let database: DatabaseState
        /// Counts by state over all stages: queued, running, retrying, completed, failed.
        let tasks: [String: Int]
        /// Counts by stage, then state.
        let stages: [String: [String: Int]]
        /// Per queue: ready, running, retrying, failed.
        let queues: [String: [String: Int]]
        let lastMinute: Finished
        let lastHour: Finished
        let recentFailures: [TaskSummary]
        let subscribers: [Subscriber]
    }

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let report = try makeReport(home: invocation.home)
        if invocation.json {
            try invocation.output.json(report)
        } else {
            print(report, to: invocation.output)
        }
        return .success
    }

    static func makeReport(home: Home, now: Int64 = Clock.nowMillis()) throws -> Report {
        let holder = HomeLock.holder(path: home.lock)
        let exists = FileManager.default.fileExists(atPath: home.database)
        var version: Int?
        var stages: [String: [String: Int]] = [:]
        var queues: [String: [String: Int]] = [:]
        var minute = (completed: 0, failed: 0)
        var hour = (completed: 0, failed: 0)
        var failures: [TaskSummary] = []
        if exists {
            let database = try Database(path: home.database, readOnly: true)
            version = try Schema.version(of: database)
            if version ?? 0 >= 1 {
                let reader = TaskReader(database: database)
                stages = try reader.counts()
                queues = try reader.queueDepths(now: now)
                minute = try reader.finished(since: now - 60_000)
                hour = try reader.finished(since: now - 3_600_000)
                failures = try reader.recentFailures(limit: 10)
            }
        }
        var totals: [String: Int] = [:]
        for state in TaskState.allCases {
            totals[state.rawValue] = stages.values.reduce(0) { $0 + ($1[state.rawValue] ?? 0) }
        }
        for stage in TaskStage.queued {
            var depth = queues[stage.rawValue] ?? ["ready": 0, "running": 0, "retrying": 0]
            depth["failed"] = stages[stage.rawValue]?["failed"] ?? 0
            queues[stage.rawValue] = depth
        }
        return Report(
            home: home.root,
            daemon: .init(
                running: holder != nil, ready: holder?.ready ?? false, pid: holder?.pid),
            database: .init(path: home.database, exists: exists, schemaVersion: version),
            tasks: totals, stages: stages, queues: queues,
            lastMinute: .init(completed: minute.completed, failed: minute.failed),
            lastHour: .init(completed: hour.completed, failed: hour.failed),
            recentFailures: failures, subscribers: subscribers(home: home))
    }

    /// Each folder under `spool/subscribers/` with the files waiting in `new/` and `cur/`, and
    /// those given up on in `failed/` (without their `.error` files).
    static func subscribers(home: Home) -> [Report.Subscriber] {
        let root = home.spool + "/subscribers"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        return names.sorted().compactMap { name in
            guard !name.hasPrefix(".") else { return nil }
            func count(_ folder: String) -> Int {
                let files =
                    (try? FileManager.default.contentsOfDirectory(
                        atPath: "\(root)/\(name)/\(folder)")) ?? []
                return files.filter { !$0.hasSuffix(".error") && !$0.hasPrefix(".") }.count
            }
            return Report.Subscriber(
                name: name, backlog: count("new") + count("cur"), failed: count("failed"))
        }
    }

    static func print(_ report: Report, to output: Output) {
        output.line("home      \(report.home)")
        if report.daemon.running {
            let pid = report.daemon.pid.map { "pid \($0)" } ?? "pid unknown"
            output.line("daemon    running (\(pid), \(report.daemon.ready ? "ready" : "starting"))")
        } else {
            output.line("daemon    not running")
        }
        guard let version = report.database.schemaVersion else {
            output.line("database  not created yet (\(report.database.path))")
            return
        }
        output.line("database  schema version \(version) (\(report.database.path))")
        let states = TaskState.allCases.map { "\(report.tasks[$0.rawValue] ?? 0) \($0.rawValue)" }
        output.line("tasks     " + states.joined(separator: ", "))
        output.line("")
        output.line("queue       ready  running  retrying  failed")
        for stage in TaskStage.queued {
            let depth = report.queues[stage.rawValue] ?? [:]
            let cells = ["ready", "running", "retrying", "failed"].map { key in
                String(depth[key] ?? 0)
            }
            output.line(
                stage.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + cells[0].leftPadded(7) + cells[1].leftPadded(9) + cells[2].leftPadded(10)
                    + cells[3].leftPadded(8))
        }
        output.line("")
        output.line(
            "finished  last minute: \(report.lastMinute.completed) completed, "
                + "\(report.lastMinute.failed) failed; last hour: \(report.lastHour.completed) "
                + "completed, \(report.lastHour.failed) failed")
        if !report.subscribers.isEmpty {
            let list = report.subscribers.map { "\($0.name) (\($0.backlog) waiting)" }
            output.line("subscribers " + list.joined(separator: ", "))
        }
        if !report.recentFailures.isEmpty {
            output.line("")
            output.line("recent failures")
            for task in report.recentFailures {
                let error = task.error.map { "\($0.code): \($0.message)" } ?? ""
                output.line("  \(task.id)  \(task.stage)  \(error)")
            }
        }
    }
}
