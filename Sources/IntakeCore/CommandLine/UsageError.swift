/// A command line that cannot be run as written; the command exits 64 with a one-line hint.
public struct UsageError: CodedError {
    public let reason: String
    /// The command whose help the hint points to, or nil for the top level.
    public let command: String?

    public init(_ reason: String, command: String? = nil) {
        self.reason = reason
        self.command = command
    }

    public var code: String { "usage" }
    public var message: String { reason }

    /// The hint printed under the message.
    public var hint: String {
        command.map { "see 'intake \($0) --help'" } ?? "see 'intake --help'"
    }
}
