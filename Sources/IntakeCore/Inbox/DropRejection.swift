import Foundation

/// Why a drop cannot be used: the code and message of its failed task and of its
/// `NAME.error.json` in `rejected/`.
public struct DropRejection: CodedError, Equatable, Codable {
    /// A stable short code: `unsupported_type`, `too_large`, `empty_drop`, `unreadable`.
    public let code: String
    /// A sentence naming the file and what is wrong with it.
    public let message: String

    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }
}

extension DropRejection {
    /// A line of a URL list longer than `URLList.maxLineBytes`.
    static func lineTooLong(number: Int) -> DropRejection {
        DropRejection(
            code: "too_large",
            message: "line \(number) of the URL list is longer than \(URLList.maxLineBytes) "
                + "bytes; a URL list holds one URL per line")
    }

    /// A file that could not be read.
    static func unreadable(path: String, errno: Int32) -> DropRejection {
        DropRejection(
            code: "unreadable",
            message: "cannot read \(path): \(String(cString: strerror(errno)))")
    }
}
