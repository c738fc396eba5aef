import Foundation

/// `intake wait`: blocks until the inbox, `work/` and every queue are empty and every event is
/// published; the exit status says whether any task failed.
enum WaitCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "wait", summary: "block until the inbox and all queues are empty (--timeout)",
        discussion: """
            Exits 0 when everything is done and no task is failed, 1 when some task is failed
            (see 'intake tasks --state failed'), 124 when --timeout passes first, and 69 when
            work is pending but no daemon is running to do it. Files the inbox ignores
            (hidden, *.part, ...) are not waited for.
            """,
        options: [
            .value("timeout", "SECONDS", "give up after this many seconds (default: never)"),
            .json,
        ])

    /// What is still pending.
    struct Pending: Encodable, Equatable {
        var inbox = 0
        var work = 0
        var queued = 0
        var running = 0
        var retrying = 0
        var unpublished = 0
        var failed = 0

        var isEmpty: Bool {
            inbox + work + queued + running + retrying + unpublished == 0
        }
    }

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let timeout = try invocation.arguments.seconds("timeout", in: 0...31_536_000)
        let configuration = try invocation.loadConfiguration()
        let rules = IgnoreRules(extra: configuration.inbox.ignore)
        let deadline = timeout.map { Date().addingTimeInterval($0) }
        let progress = invocation.output.isTerminal && !invocation.json
        var last = Pending()
        while true {
            last = try pending(home: invocation.home, rules: rules)
            if last.isEmpty { break }
            if HomeLock.holder(path: invocation.home.lock) == nil {
                if progress { invocation.output.write("\r\u{1B}[K") }
                try report(last, invocation)
                throw DaemonNotRunning(home: invocation.home.root)
            }
            if let deadline, Date() >= deadline {
                if progress { invocation.output.write("\r\u{1B}[K") }
                try report(last, invocation)
                return .timeout
            }
            if progress {
                invocation.output.write(
                    "\rwaiting: inbox \(last.inbox), work \(last.work), queued \(last.queued), "
                        + "running \(last.running), retrying \(last.retrying), "
                        + "events \(last.unpublished)\u{1B}[K")
            }
            usleep(100_000)
        }
        if progress { invocation.output.write("\r\u{1B}[K") }
        try report(last, invocation)
        return last.failed > 0 ? .failure : .success
    }

    private static func report(_ pending: Pending, _ invocation: Invocation) throws {
        if invocation.json {
            try invocation.output.json(pending)
        } else if pending.isEmpty {
            invocation.output.line(
                pending.failed > 0 ? "done; \(pending.failed) tasks failed" : "done")
        } else {
            invocation.output.line(
                "pending: inbox \(pending.inbox), work \(pending.work), queued \(pending.queued), "
                    + "running \(pending.running), retrying \(pending.retrying), "
                    + "events \(pending.unpublished)")
        }
    }

    /// Counts what is not finished: files the inbox will take, files in `work/`, jobs, and
    /// events not yet published.
    static func pending(home: Home, rules: IgnoreRules) throws -> Pending {
        var pending = Pending()
        pending.inbox = countFiles(in: home.inbox) { !rules.ignores($0) }
        pending.work = countFiles(in: home.work) { !$0.hasPrefix(".") }
        guard FileManager.default.fileExists(atPath: home.database) else { return pending }
        let database = try Database(path: home.database, readOnly: true)
        guard try Schema.version(of: database) >= 1 else { return pending }
        for (state, count) in try database.rows(
            "SELECT state, count(*) FROM jobs WHERE state IN ('ready', 'retrying', 'leased') "
                + "GROUP BY state", [], { ($0.text(0), Int($0.int(1))) })
        {
            switch state {
            case "ready": pending.queued = count
            case "retrying": pending.retrying = count
            default: pending.running = count
            }
        }
        pending.unpublished = Int(
            try database.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL") ?? 0)
        pending.failed = Int(
            try database.scalar(
                "SELECT coalesce(sum(count), 0) FROM task_counts "
                    + "WHERE state = 'failed'") ?? 0)
        return pending
    }

    /// Regular files and other non-folders below `folder` whose names `include` accepts; an
    /// ignored folder name hides everything under it.
    static func countFiles(in folder: String, include: (String) -> Bool) -> Int {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            return 0
        }
        var count = 0
        for name in names where include(name) {
            let path = folder + "/" + name
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            if status.st_mode & S_IFMT == S_IFDIR {
                count += countFiles(in: path, include: include)
            } else {
                count += 1
            }
        }
        return count
    }
}
