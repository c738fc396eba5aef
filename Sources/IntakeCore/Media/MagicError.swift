/// A failure of libmagic itself (not a verdict about a file's content).
public struct MagicError: CodedError {
    /// The libmagic function that failed.
    public let function: String
    /// The path involved, when there is one.
    public let path: String?
    /// libmagic's own message.
    public let detail: String

    public var code: String { "unreadable" }

    public var message: String {
        "\(function)\(path.map { " \($0)" } ?? ""): \(detail)"
    }
}
