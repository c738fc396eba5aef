/// An error a person can act on: a stable short `code` (the same codes a user sees in
/// `task.failed` and in command output) and a `message` that names the file, URL or key.
///
/// Every part of intake has one error type conforming to this protocol.
public protocol CodedError: Error, CustomStringConvertible, Sendable {
    /// A short, stable, lowercase code such as `corrupt_image` or `config_invalid`.
    var code: String { get }
    /// A sentence for a person, naming what was involved.
    var message: String { get }
}

extension CodedError {
    public var description: String { "\(message) [\(code)]" }
}
