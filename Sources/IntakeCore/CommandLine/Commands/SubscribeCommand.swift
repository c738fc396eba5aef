/// `intake subscribe NAME PATTERN...`: creates a subscriber (or replaces its patterns).
enum SubscribeCommand: IntakeCommand {
    static let spec = CommandSpec(
        name: "subscribe", synopsis: "NAME PATTERN...",
        summary: "create a spool subscriber that receives events matching the patterns",
        discussion: """
            Creates HOME/spool/subscribers/NAME/ with new/, cur/ and failed/ and a patterns
            file. Events published from then on whose type matches a pattern ('*' matches any
            run of characters: image.*, task.failed, *) are linked into new/. A program
            handles a file there and deletes it. Run again to replace the patterns.
            NAME is 1 to 64 letters, digits, '_' and '-'.
            """,
        positionals: 2...1000)

    static func run(_ invocation: Invocation) throws -> ExitStatus {
        let arguments = invocation.arguments.positionals
        let name = arguments[0]
        do {
            try Subscriber.validate(name: name)
        } catch {
            throw UsageError(error.message, command: spec.name)
        }
        var patterns: [EventPattern] = []
        for text in arguments.dropFirst() {
            do {
                patterns.append(try EventPattern(text))
            } catch {
                throw UsageError(error.message, command: spec.name)
            }
        }
        let configuration = try invocation.loadConfiguration()
        let subscriber = try Spool(home: invocation.home, configuration: configuration)
            .subscribe(name: name, patterns: patterns)
        invocation.output.line(
            "subscriber \(name): \(patterns.map(\.text).joined(separator: " ")) -> \(subscriber.new)"
        )
        return .success
    }
}
