import Foundation

/// How one run of a plugin ended.
enum PluginOutcome: Sendable, Equatable {
    /// It exited with this status (0 means handled).
    case exited(Int32)
    /// It was killed by this signal (not by us).
    case signaled(Int32)
    /// It ran past the timeout and was killed with its process group.
    case timedOut(seconds: Double)
    /// The runner was stopping; the run does not count as an attempt.
    case interrupted
    /// It could not be started at all (exec failed).
    case notStarted(errno: Int32)

    var succeeded: Bool { self == .exited(0) }

    /// A short sentence for logs and `.error` files.
    var reason: String {
        switch self {
        case .exited(let status): "exit status \(status)"
        case .signaled(let signal): "killed by signal \(signal) (\(PluginOutcome.name(of: signal)))"
        case .timedOut(let seconds):
            "timed out after \(seconds) s; killed with every process it started"
        case .interrupted: "interrupted because the runner stopped"
        case .notStarted(let number): "could not be started: \(String(cString: strerror(number)))"
        }
    }

    static func name(of signal: Int32) -> String {
        switch signal {
        case SIGKILL: "SIGKILL"
        case SIGTERM: "SIGTERM"
        case SIGSEGV: "SIGSEGV"
        case SIGABRT: "SIGABRT"
        case SIGBUS: "SIGBUS"
        case SIGINT: "SIGINT"
        case SIGHUP: "SIGHUP"
        case SIGPIPE: "SIGPIPE"
        case SIGFPE: "SIGFPE"
        case SIGILL: "SIGILL"
        default: "signal \(signal)"
        }
    }
}
