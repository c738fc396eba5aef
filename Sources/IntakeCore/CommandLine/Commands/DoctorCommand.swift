/// `intake doctor`: checks the machine and the home, one line per check.
enum DoctorCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "doctor",
        summary: "check inotify limits, file systems, permissions and libraries",
        discussion: "Prints OK, WARN or FAIL per check; exits 1 when any check fails.",
        options: [.json])

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let checks = Doctor.checks(home: invocation.home)
        if invocation.json {
            try invocation.output.json(checks)
        } else {
            let width = (checks.map(\.name.count).max() ?? 0) + 2
            for check in checks {
                let verdict = check.verdict.rawValue.padding(
                    toLength: 5, withPad: " ", startingAt: 0)
                let name = check.name.padding(toLength: width, withPad: " ", startingAt: 0)
                invocation.output.line("\(verdict) \(name)\(check.detail)")
            }
        }
        return checks.contains { $0.verdict == .fail } ? .failure : .success
    }
}
