/// Why a file could not be used as an image: the verdicts the metadata and analysis stages
/// report, with the spec's stable codes.
public struct ImageError: CodedError, Equatable {
    /// The verdict, one of the stable codes of a failed task.
    public enum Kind: String, Sendable, Equatable {
        /// The content is not an image of a supported type (decided by content, not name).
        case notAnImage = "not_an_image"
        /// The content says it is an image but cannot be decoded.
        case corruptImage = "corrupt_image"
        /// The image has more pixels than `analysis.max_pixels` allows.
        case tooLarge = "too_large"
        /// The path is missing, not a regular file, or cannot be read.
        case unreadable
    }

    public let kind: Kind
    /// The file involved.
    public let path: String
    /// What went wrong, in words (for a C failure: the library's own message).
    public let detail: String
    /// The C function that reported the failure, when one did.
    public let function: String?

    public init(_ kind: Kind, path: String, detail: String, function: String? = nil) {
        self.kind = kind
        self.path = path
        self.detail = detail
        self.function = function
    }

    public var code: String { kind.rawValue }

    public var message: String {
        "\(path): \(detail)\(function.map { " (\($0))" } ?? "")"
    }
}
