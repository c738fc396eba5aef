/// `intake tasks`: lists tasks, newest first, filtered by state, stage or trace.
enum TasksCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "tasks", summary: "list tasks (--state, --stage, --trace, --limit)",
        options: [
            .value("state", "STATE", "queued, running, retrying, completed or failed"),
            .value("stage", "STAGE", "download, metadata, analysis or done"),
            .value("trace", "ID", "only the tasks of the drop with this trace id"),
            .value("limit", "N", "at most N tasks (default 50)"),
            .json,
        ])

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let arguments = invocation.arguments
        let state = arguments.value("state")
        if let state, TaskState(rawValue: state) == nil {
            throw UsageError(
                "--state takes one of "
                    + TaskState.allCases.map(\.rawValue).joined(separator: ", "),
                command: spec.name)
        }
        let stage = arguments.value("stage")
        if let stage, TaskStage(rawValue: stage) == nil {
            throw UsageError(
                "--stage takes one of "
                    + TaskStage.allCases.map(\.rawValue).joined(separator: ", "),
                command: spec.name)
        }
        let limit = try arguments.int("limit", in: 1...1_000_000) ?? 50
        guard let database = try invocation.openDatabaseForReading() else {
            if invocation.json { try invocation.output.json([TaskSummary]()) }
            return .success
        }
        let tasks = try TaskReader(database: database).tasks(
            state: state, stage: stage, trace: arguments.value("trace"), limit: limit)
        if invocation.json {
            try invocation.output.json(tasks)
            return .success
        }
        for task in tasks {
            var line = "\(task.id)  \(task.stage)/\(task.state)  \(task.source)"
            if let error = task.error {
                line += "  \(error.code): \(error.message)"
            }
            invocation.output.line(line)
        }
        return .success
    }
}
