/// `intake plugins`: every subscriber with its backlog; `intake plugins retry NAME` puts its
/// failed events back.
enum PluginsCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "plugins", synopsis: "[retry NAME]",
        summary: "each subscriber: kind, patterns, backlog, failures, last error",
        discussion: """
            Lists every subscriber of the spool: plugins (executables in HOME/plugins/, run by
            the daemon) and external ones (made with 'intake subscribe'), with the events
            waiting in new/, being handled in cur/ and given up on in failed/. 'intake plugins
            retry NAME' moves NAME's failed events back to new/ to be handled again.
            """,
        options: [.json], positionals: 0...2)

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let arguments = invocation.arguments.positionals
        if !arguments.isEmpty {
            guard arguments.count == 2, arguments[0] == "retry" else {
                throw UsageError("expected 'retry NAME'", command: spec.name)
            }
            do {
                try Subscriber.validate(name: arguments[1])
            } catch {
                throw UsageError(error.message, command: spec.name)
            }
            let moved = try Spool(home: invocation.home).retryFailed(name: arguments[1])
            invocation.output.line("\(arguments[1]): \(moved) failed event(s) moved back to new/")
            return .success
        }
        let reports = try SubscriberReport.all(home: invocation.home)
        if invocation.json {
            try invocation.output.json(reports)
            return .success
        }
        let output = invocation.output
        if reports.isEmpty {
            output.line("no subscribers (add a plugin to \(invocation.home.plugins))")
            return .success
        }
        output.line("NAME                 KIND      NEW   CUR   FAILED  RUNS  FAILURES  PATTERNS")
        for report in reports {
            output.line(
                pad(report.name, 20) + " " + pad(report.kind, 9) + " " + pad("\(report.new)", 5)
                    + " " + pad("\(report.cur)", 5) + " " + pad("\(report.failed)", 7) + " "
                    + pad("\(report.runs)", 5) + " " + pad("\(report.failures)", 9) + " "
                    + report.patterns.joined(separator: " "))
            if let lastError = report.lastError {
                output.line("  last error: \(lastError)")
            }
            if let next = report.nextRetryAt, report.retrying > 0 {
                let seconds = max(next - Clock.nowMillis(), 0) / 1000
                output.line(
                    "  waiting to retry: \(report.retrying) event(s), next attempt in \(seconds) s")
            }
        }
        return .success
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}
