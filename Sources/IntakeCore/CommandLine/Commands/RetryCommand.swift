import Foundation

/// `intake retry`: puts failed tasks back into the stage where they failed.
enum RetryCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "retry", synopsis: "[ID...]",
        summary: "put failed tasks back (IDs, or --all-failed)",
        discussion: """
            Each failed task keeps its id and goes back to the stage where it failed, with a
            fresh attempt count; it later ends with a new terminal event. Tasks that are not
            failed are left alone. A running daemon is woken to take them at once.
            """,
        options: [.flag("all-failed", "every failed task"), .json],
        positionals: 0...100_000)

    /// The document `intake retry --json` prints.
    struct Report: Encodable {
        let retried: [String]
        let skipped: [String]
    }

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let all = invocation.arguments.flag("all-failed")
        let given = invocation.arguments.positionals
        guard all != !given.isEmpty else {
            throw UsageError("give task ids or --all-failed (not both)", command: spec.name)
        }
        guard FileManager.default.fileExists(atPath: invocation.home.database) else {
            throw CoordinatorError(
                code: "no_database", message: "no database at \(invocation.home.database)")
        }
        let configuration = try invocation.loadConfiguration()
        let database = try Database(path: invocation.home.database, create: false)
        try Schema.apply(to: database)
        let coordinator = Coordinator(
            database: database, settings: QueueSettings(configuration: configuration))
        let reader = TaskReader(database: database)
        let report = try database.transaction {
            var ids: [String] = []
            if all {
                ids = try coordinator.failedTaskIDs()
            } else {
                for id in given {
                    guard let task = try reader.task(matching: id) else {
                        throw CoordinatorError.unknownTask(id)
                    }
                    ids.append(task.id)
                }
            }
            let retried = try coordinator.retry(taskIDs: ids)
            return Report(retried: retried, skipped: ids.filter { !retried.contains($0) })
        }
        if !report.retried.isEmpty, let pid = HomeLock.holder(path: invocation.home.lock)?.pid {
            kill(pid, SIGUSR1)
        }
        if invocation.json {
            try invocation.output.json(report)
        } else {
            for id in report.retried { invocation.output.line("retried \(id)") }
            for id in report.skipped { invocation.output.line("skipped \(id) (not failed)") }
            if report.retried.isEmpty && report.skipped.isEmpty {
                invocation.output.line("no failed tasks")
            }
        }
        return .success
    }
}
