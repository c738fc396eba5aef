/// One subcommand of `intake`. Conforming types are listed in `CommandRegistry.commands`.
public protocol IntakeCommand {
    /// The name, options and help of the command.
    static var spec: CommandSpec { get }
    /// Runs the command. A thrown `UsageError` exits 64, `DaemonNotRunning` 69, any other error 1.
    static func run(_ invocation: Invocation) throws -> ExitStatus
}
