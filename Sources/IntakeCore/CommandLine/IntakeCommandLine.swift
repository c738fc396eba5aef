import CSystem
import Foundation

/// The entry point of the `intake` executable: picks the command, parses its arguments, runs it
/// and turns whatever it throws into a message on standard error and an exit status.
public enum IntakeCommandLine {
    /// Runs `intake` with `arguments` (without the program name).
    public static func main(
        _ arguments: [String], environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> ExitStatus {
        intake_stdout_line_buffered()
        let output = Output()
        guard let first = arguments.first else {
            printError(UsageError("no command given"))
            return .usage
        }
        switch first {
        case "--version", "version":
            output.line("intake \(Version.current)")
            return .success
        case "--help", "-h", "help":
            if arguments.count > 1, let command = CommandRegistry.command(named: arguments[1]) {
                output.write(command.spec.help)
            } else {
                output.write(CommandRegistry.overview)
            }
            return .success
        default:
            break
        }
        guard let command = CommandRegistry.command(named: first) else {
            printError(UsageError("unknown command '\(first)'"))
            return .usage
        }
        do {
            let parsed = try ParsedArguments.parse(
                Array(arguments.dropFirst()), spec: command.spec)
            if parsed.flag("help") {
                output.write(command.spec.help)
                return .success
            }
            let invocation = Invocation(
                arguments: parsed,
                home: Home.resolve(option: parsed.value("home"), environment: environment),
                configurationFile: parsed.value("config"), environment: environment,
                output: output)
            return try command.run(invocation)
        } catch let error as UsageError {
            printError(error)
            return .usage
        } catch let error as DaemonNotRunning {
            printError(error)
            return .daemonNeeded
        } catch {
            printError(error)
            return .failure
        }
    }

    /// Writes `intake: MESSAGE` (and a hint for usage errors) to standard error.
    static func printError(_ error: any Error) {
        var text: String
        switch error {
        case let usage as UsageError:
            text = "intake: \(usage.message)\nhint: \(usage.hint)\n"
        case let coded as any CodedError:
            text = "intake: \(coded.message)\n"
        default:
            text = "intake: \(error)\n"
        }
        FileHandle.standardError.write(Data(text.utf8))
    }
}
