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

/// Splits a URL list into lines as its bytes arrive and turns each line into a task, enforcing
/// the line length and task count limits as it goes.
struct URLListParser {
    let maxURLs: Int
    private var list = URLList()
    private var seen: Set<String> = []
    private var line: [UInt8] = []
    private var lineNumber = 0
    private var atStart = true
    private var failure: DropRejection?

    init(maxURLs: Int) {
        self.maxURLs = maxURLs
    }

    /// Adds bytes; returns the rejection as soon as the list breaks a rule.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> DropRejection? {
        if let failure { return failure }
        for byte in bytes {
            if byte == 0x0A {
                endLine()
            } else {
                line.append(byte)
                // One byte of slack for the CR of a CRLF ending.
                if line.count > URLList.maxLineBytes + 1 {
                    failure = DropRejection.lineTooLong(number: lineNumber + 1)
                }
            }
            if let failure { return failure }
        }
        return nil
    }

    /// The parsed list once every byte was fed.
    mutating func finish() -> Result<URLList, DropRejection> {
        if failure == nil && !line.isEmpty { endLine() }
        if let failure { return .failure(failure) }
        guard list.taskCount > 0 else {
            return .failure(
                DropRejection(
                    code: "empty_drop",
                    message: "the URL list has no URLs: every line is blank or a # comment"))
        }
        return .success(list)
    }

    private mutating func endLine() {
        lineNumber += 1
        var bytes = line[...]
        line.removeAll(keepingCapacity: true)
        if atStart {
            atStart = false
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        }
        if bytes.last == 0x0D { bytes = bytes.dropLast() }
        if bytes.count > URLList.maxLineBytes {
            failure = DropRejection.lineTooLong(number: lineNumber)
            return
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            failure = DropRejection(
                code: "unsupported_type",
                message: "line \(lineNumber) of the URL list is not UTF-8 text; "
                    + "a URL list must be UTF-8")
            return
        }
        let text = decoded.trimmingCharacters(in: .whitespaces)
        if text.isEmpty || text.hasPrefix("#") { return }
        if let problem = URLList.problem(with: text) {
            list.invalidLines.append(
                URLList.InvalidLine(
                    number: lineNumber,
                    message: "line \(lineNumber) \(problem): \"\(URLListParser.quoted(text))\""))
        } else if seen.insert(text).inserted {
            list.urls.append(text)
        }
        if list.taskCount > maxURLs {
            failure = DropRejection(
                code: "too_large",
                message: "the URL list has more than \(maxURLs) URLs (inbox.max_urls); "
                    + "split it into smaller lists")
        }
    }

    /// `text` cut to `URLList.quotedCharacters` characters, with an ellipsis when cut.
    static func quoted(_ text: String) -> String {
        guard text.count > URLList.quotedCharacters else { return text }
        return String(text.prefix(URLList.quotedCharacters)) + "..."
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
