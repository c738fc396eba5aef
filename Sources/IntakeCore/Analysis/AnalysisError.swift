/// A failure of the analysis stage that is not a verdict about the image itself: the external
/// analyzer failed, timed out or answered nonsense.
public struct AnalysisError: CodedError {
    public enum Kind: String, Sendable {
        /// The analyzer could not be started, exited non-zero or gave a bad answer.
        case analyzerFailed = "analyzer_failed"
        /// The analyzer ran past `analysis.command_timeout_s` and was killed.
        case timeout
    }

    public let kind: Kind
    /// The image being analysed.
    public let path: String
    public let detail: String

    public var code: String { kind.rawValue }
    public var message: String { "analyzer on \(path): \(detail)" }
}
