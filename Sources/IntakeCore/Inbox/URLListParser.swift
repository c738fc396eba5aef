import Foundation

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
