import Foundation

/// The tasks a URL list asks for: its distinct valid URLs, and its lines that are not URLs.
///
/// The format: UTF-8 text (a byte order mark allowed), lines ending in LF or CRLF. Blank lines
/// and lines starting with `#` are skipped; surrounding whitespace is trimmed; every other line
/// is one task. A line that is not an absolute `http` or `https` URL becomes a task that fails
/// at once with `invalid_url`. A URL repeated in the same list is one task (the first).
public struct URLList: Sendable, Equatable {
    /// The distinct valid URLs, in order of first appearance.
    public var urls: [String] = []
    /// The lines that are not URLs, in order.
    public var invalidLines: [InvalidLine] = []

    /// One line that is not an absolute `http` or `https` URL.
    public struct InvalidLine: Sendable, Equatable {
        /// The line number, counting from 1 and counting every line.
        public let number: Int
        /// The `invalid_url` message: the line number and the line, cut short.
        public let message: String
    }

    /// The error code of a task made from an invalid line.
    public static let invalidURLCode = "invalid_url"
    /// The longest line accepted, in bytes without its line ending.
    public static let maxLineBytes = 8 * 1024
    /// How much of an invalid line its message quotes.
    static let quotedCharacters = 80

    public init(urls: [String] = [], invalidLines: [InvalidLine] = []) {
        self.urls = urls
        self.invalidLines = invalidLines
    }

    /// The number of tasks the list makes.
    public var taskCount: Int { urls.count + invalidLines.count }

    /// Parses a whole list held in memory.
    public static func parse(_ data: Data, maxURLs: Int) -> Result<URLList, DropRejection> {
        var parser = URLListParser(maxURLs: maxURLs)
        if let rejection = parser.feed(data) { return .failure(rejection) }
        return parser.finish()
    }

    /// Parses the list in the file at `path`, reading it in chunks so that a huge file never
    /// sits in memory whole. The file must be a regular file; it is opened without following
    /// a symbolic link.
    public static func parse(fileAt path: String, maxURLs: Int) -> Result<URLList, DropRejection> {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else {
            return .failure(DropRejection.unreadable(path: path, errno: errno))
        }
        defer { close(descriptor) }
        var parser = URLListParser(maxURLs: maxURLs)
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 { return .failure(DropRejection.unreadable(path: path, errno: errno)) }
            if count == 0 { break }
            if let rejection = parser.feed(buffer[0..<count]) { return .failure(rejection) }
        }
        return parser.finish()
    }

    /// Why `text` (a trimmed line) is not an absolute `http` or `https` URL, or nil when it is.
    static func problem(with text: String) -> String? {
        if text.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) {
            return "contains whitespace or control characters"
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme else {
            return "is not an absolute URL"
        }
        guard scheme.lowercased() == "http" || scheme.lowercased() == "https" else {
            return "is not an http or https URL"
        }
        guard let host = components.host, !host.isEmpty,
            text.dropFirst(scheme.count).hasPrefix("://")
        else {
            return "has no host"
        }
        return nil
    }
}
