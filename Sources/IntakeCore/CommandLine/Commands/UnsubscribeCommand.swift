/// `intake unsubscribe NAME`: removes a subscriber with its backlog.
enum UnsubscribeCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "unsubscribe", synopsis: "NAME",
        summary: "remove a spool subscriber and every event waiting in its folders",
        discussion: """
            A plugin's subscriber comes back while the plugin stays in HOME/plugins/: remove
            the plugin file to stop it for good.
            """,
        positionals: 1...1)

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let name = invocation.arguments.positionals[0]
        do {
            try Subscriber.validate(name: name)
        } catch {
            throw UsageError(error.message, command: spec.name)
        }
        try Spool(home: invocation.home).unsubscribe(name: name)
        invocation.output.line("subscriber \(name) removed")
        return .success
    }
}
