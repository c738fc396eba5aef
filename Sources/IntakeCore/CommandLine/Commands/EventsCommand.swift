import Foundation

/// `intake events`: past events from the database's outbox, optionally followed.
enum EventsCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "events", summary: "past events (--type, --task, --trace, --since), --follow to tail",
        discussion: """
            Prints events oldest first: the newest --limit (default 100) that match. --type
            takes event-type patterns ('*' matches any run of characters) and may be repeated.
            --since takes a date (2026-05-30 or 2026-05-30T15:56:01Z, UTC), Unix milliseconds,
            or an age such as 90s, 15m, 2h, 7d. --json prints each event's envelope as one JSON
            line. --follow keeps printing new events until interrupted.
            """,
        options: [
            .value("type", "PATTERN", "only events whose type matches", repeatable: true),
            .value("task", "ID", "only events of this task"),
            .value("trace", "ID", "only events of this trace (drop)"),
            .value("since", "WHEN", "only events from then on"),
            .value("limit", "N", "at most N events (1 to 100000, default 100)"),
            .flag("follow", "keep printing new events as they are committed"),
            .json,
        ])

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let arguments = invocation.arguments
        var query = Outbox.Query()
        for text in arguments.values("type") {
            do {
                query.types.append(try EventPattern(text))
            } catch {
                throw UsageError(error.message, command: spec.name)
            }
        }
        query.taskID = arguments.value("task")
        query.traceID = arguments.value("trace")
        if let since = arguments.value("since") {
            guard let millis = parseSince(since, now: Clock.nowMillis()) else {
                throw UsageError(
                    "--since '\(since)' is not a date, Unix milliseconds or an age like 15m",
                    command: spec.name)
            }
            query.sinceMillis = millis
        }
        query.limit = try arguments.int("limit", in: 1...100_000) ?? 100
        let home = invocation.home
        guard FileManager.default.fileExists(atPath: home.database) else {
            if !arguments.flag("follow") { return .success }
            while !FileManager.default.fileExists(atPath: home.database) { usleep(500_000) }
            return try run(invocation)
        }
        let database = try Database(path: home.database, readOnly: true)
        var last = Int64(0)
        for event in try Outbox.events(in: database, matching: query) {
            try print(event, invocation)
            last = event.seq
        }
        guard arguments.flag("follow") else { return .success }
        // Another process commits the events, so this one cannot be woken: it looks again
        // every quarter second, one indexed query each time.
        query.limit = 10_000
        while true {
            if last == 0 {
                last = try database.scalar("SELECT coalesce(max(seq), 0) FROM outbox") ?? 0
            }
            query.afterSeq = last
            let events = try Outbox.events(in: database, matching: query)
            for event in events {
                try print(event, invocation)
            }
            last = max(last, events.last?.seq ?? last)
            usleep(250_000)
        }
    }

    private static func print(_ event: OutboxEvent, _ invocation: Invocation) throws {
        if invocation.json {
            invocation.output.line(event.body)
            return
        }
        let time = Date(timeIntervalSince1970: Double(event.createdAt) / 1000)
        let stamp = time.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true))
        invocation.output.line(
            "\(stamp)  \(event.eventType.padding(toLength: 24, withPad: " ", startingAt: 0))  "
                + "task=\(event.taskID ?? "-")  trace=\(event.traceID ?? "-")  id=\(event.eventID)")
    }

    /// Unix milliseconds for `--since`: an age (`90s`, `15m`, `2h`, `7d`), a UTC date or date
    /// and time, or a number of Unix milliseconds.
    static func parseSince(_ text: String, now: Int64) -> Int64? {
        if let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0 {
            let seconds: Int64? =
                switch unit {
                case "s": 1
                case "m": 60
                case "h": 3600
                case "d": 86_400
                default: nil
                }
            if let seconds { return now - amount * seconds * 1000 }
        }
        if let millis = Int64(text) { return millis }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) ?? formatter.date(from: text + "Z") {
            return Int64(date.timeIntervalSince1970 * 1000)
        }
        formatter.formatOptions = [.withFullDate]
        if let date = formatter.date(from: text) {
            return Int64(date.timeIntervalSince1970 * 1000)
        }
        return nil
    }
}
