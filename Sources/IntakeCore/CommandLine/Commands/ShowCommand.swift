import Foundation

/// `intake show ID`: one task with its stage timeline, error and events.
enum ShowCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "show", synopsis: "ID",
        summary: "one task: source, stages with timings, error and events",
        discussion: "ID is a task id, or a unique prefix of at least 8 characters.",
        options: [.json], positionals: 1...1)

    /// The document `intake show --json` prints.
    struct Report: Encodable {
        let task: TaskSummary
        let timeline: [TaskReader.Transition]
        let events: [JSONValue]
        /// What the metadata stage recorded for the task's content.
        let metadata: JSONValue?
        /// What the analysis stage recorded: hashes, feature vector, labels, embedding.
        let analysis: JSONValue?
        let thumbnailPath: String?
    }

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let id = invocation.arguments.positionals[0]
        guard let database = try invocation.openDatabaseForReading(),
            let task = try TaskReader(database: database).task(matching: id)
        else {
            throw CoordinatorError.unknownTask(id)
        }
        let reader = TaskReader(database: database)
        let image = try task.sha256.flatMap { sha256 in
            try database.row(
                "SELECT metadata, analysis, thumbnail_path FROM images WHERE sha256 = ?1",
                [.text(sha256)]
            ) { ($0.optionalText(0), $0.optionalText(1), $0.optionalText(2)) }
        }
        let report = Report(
            task: task, timeline: try reader.transitions(of: task.id),
            events: try reader.events(of: task.id),
            metadata: try image?.0.map(JSONValue.parse),
            analysis: try image?.1.map(JSONValue.parse),
            thumbnailPath: image?.2)
        if invocation.json {
            try invocation.output.json(report)
            return .success
        }
        let output = invocation.output
        output.line("task      \(task.id)")
        output.line("trace     \(task.traceId)")
        output.line("source    \(task.source)")
        output.line("state     \(task.stage)/\(task.state) (attempt \(task.attempts))")
        if let sha256 = task.sha256 { output.line("sha256    \(sha256)") }
        if let path = task.storePath { output.line("stored    \(path)") }
        if let duplicate = task.duplicateOf { output.line("duplicate of \(duplicate)") }
        if let error = task.error { output.line("error     \(error.code): \(error.message)") }
        if let metadata = report.metadata {
            output.line("")
            output.line("metadata")
            for key in ["mimeType", "width", "height", "takenAt", "camera", "lens", "gps"] {
                if let value = metadata[key] {
                    output.line(
                        "  \(key.padding(toLength: 10, withPad: " ", startingAt: 0))"
                            + value.text())
                }
            }
            if case .object(let tags) = metadata["exif"] ?? .null {
                output.line("  exif      \(tags.count) tags (--json lists them)")
            }
        }
        if let analysis = report.analysis {
            output.line("")
            output.line("analysis")
            for key in ["phash", "dhash", "vectorVersion", "vectorLength", "labels"] {
                if let value = analysis[key] {
                    output.line(
                        "  \(key.padding(toLength: 14, withPad: " ", startingAt: 0))"
                            + value.text())
                }
            }
            if let thumbnail = report.thumbnailPath {
                output.line("  thumbnail     \(thumbnail)")
            }
        }
        output.line("")
        output.line("timeline")
        let start = report.timeline.first?.at ?? task.createdAt
        for step in report.timeline {
            let offset = String(format: "+%.3fs", Double(step.at - start) / 1000)
            output.line(
                "  \(Self.time(step.at))  \(offset.leftPadded(10))  "
                    + "\(step.stage)/\(step.state)  \(step.detail)")
        }
        output.line("")
        output.line("events")
        for event in report.events {
            let time = event["timestamp"]?.intValue.map(Self.time) ?? "?"
            let type = event["eventType"]?.stringValue ?? "?"
            output.line("  \(time)  \(type)  \(event["eventId"]?.stringValue ?? "?")")
        }
        return .success
    }

    /// Unix milliseconds as local ISO 8601 time with milliseconds.
    static func time(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = .current
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }
}
