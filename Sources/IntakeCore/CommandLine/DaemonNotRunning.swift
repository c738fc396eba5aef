/// A command needed a running daemon on the home and none holds it (exit status 69).
public struct DaemonNotRunning: CodedError {
    public let home: String

    public var code: String { "daemon_not_running" }
    public var message: String {
        "no intake daemon is running on \(home); start one with 'intake run --home \(home)'"
    }
}
