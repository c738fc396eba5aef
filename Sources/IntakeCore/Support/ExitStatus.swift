/// The exit statuses of every `intake` command, as the contract fixes them.
public enum ExitStatus: Int32, Sendable {
    /// The command did what was asked.
    case success = 0
    /// The operation failed (or, for `wait`, some task failed).
    case failure = 1
    /// The command line was wrong; a one-line hint was printed.
    case usage = 64
    /// The command needs a running daemon and none holds the home.
    case daemonNeeded = 69
    /// `intake wait` gave up at its `--timeout`.
    case timeout = 124
}
