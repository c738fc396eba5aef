/// Why a stage did not succeed: a code of the contract's section 4 (`http_503`, `timeout`,
/// `corrupt_image`, ...), a message a person can act on, and whether trying again may help.
public struct StageFailure: CodedError, Equatable {
    public let code: String
    public let message: String
    /// True when a later attempt may succeed (network errors, 5xx, 408, 429, timeouts,
    /// disk full); false fails the task at once.
    public let transient: Bool
    /// The earliest time (Unix ms) for the next attempt, from `Retry-After`.
    public let retryAfterMillis: Int64?

    public init(code: String, message: String, transient: Bool, retryAfterMillis: Int64? = nil) {
        self.code = code
        self.message = message
        self.transient = transient
        self.retryAfterMillis = retryAfterMillis
    }

    /// A failure that no retry can fix.
    public static func permanent(_ code: String, _ message: String) -> StageFailure {
        StageFailure(code: code, message: message, transient: false)
    }

    /// A failure that a later attempt may not meet.
    public static func transient(
        _ code: String, _ message: String, retryAfterMillis: Int64? = nil
    ) -> StageFailure {
        StageFailure(
            code: code, message: message, transient: true, retryAfterMillis: retryAfterMillis)
    }
}
