import Foundation
import Testing

@testable import IntakeCore

/// URL lists parsed from bytes: one table of cases, then the limits.
@Suite("Inbox URL lists")
struct InboxURLListTests {
    /// One case: the list's text, the URLs expected, and the invalid lines expected (their
    /// numbers), or the rejection code expected.
    struct Case: CustomTestStringConvertible, Sendable {
        let name: String
        let text: String
        let urls: [String]
        let invalid: [Int]
        let rejection: String?

        init(
            _ name: String, _ text: String, urls: [String] = [], invalid: [Int] = [],
            rejection: String? = nil
        ) {
            self.name = name
            self.text = text
            self.urls = urls
            self.invalid = invalid
            self.rejection = rejection
        }

        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case("one URL", "https://example.com/a.jpg\n", urls: ["https://example.com/a.jpg"]),
        Case("no final newline", "http://example.com/a", urls: ["http://example.com/a"]),
        Case(
            "CRLF endings", "http://a.example/1\r\nhttp://a.example/2\r\n",
            urls: ["http://a.example/1", "http://a.example/2"]),
        Case(
            "byte order mark", "\u{FEFF}https://example.com/x\n", urls: ["https://example.com/x"]),
        Case(
            "blank and comment lines skipped", "\n# photos\n   \n\thttps://e.example/p\n#x\n",
            urls: ["https://e.example/p"]),
        Case(
            "surrounding whitespace trimmed",
            "  https://e.example/a  \n\t\thttps://e.example/b\t\n",
            urls: ["https://e.example/a", "https://e.example/b"]),
        Case(
            "duplicates are one task",
            "https://e.example/a\nhttps://e.example/b\nhttps://e.example/a\n",
            urls: ["https://e.example/a", "https://e.example/b"]),
        Case(
            "upper-case scheme", "HTTPS://E.EXAMPLE/A\n", urls: ["HTTPS://E.EXAMPLE/A"]),
        Case(
            "port, query and fragment", "http://127.0.0.1:8080/a.png?x=1#y\n",
            urls: ["http://127.0.0.1:8080/a.png?x=1#y"]),
        Case("IPv6 host", "http://[::1]:8080/a\n", urls: ["http://[::1]:8080/a"]),
        Case("ftp is invalid", "ftp://e.example/a\n", invalid: [1]),
        Case("relative path is invalid", "images/a.jpg\n", invalid: [1]),
        Case("no host is invalid", "http://\n", invalid: [1]),
        Case("scheme without slashes is invalid", "http:e.example/a\n", invalid: [1]),
        Case("inner space is invalid", "http://e.example/a b.jpg\n", invalid: [1]),
        Case("file URL is invalid", "file:///etc/passwd\n", invalid: [1]),
        Case(
            "mixed lines keep their numbers",
            "# list\nhttps://e.example/1\nnot a url\n\nmailto:x@e.example\nhttp://e.example/2\n",
            urls: ["https://e.example/1", "http://e.example/2"], invalid: [3, 5]),
        Case("only comments", "# nothing here\n\n   \n", rejection: "empty_drop"),
        Case("control character is invalid", "http://e.example/\u{0}\n", invalid: [1]),
    ]

    @Test(arguments: cases)
    func parses(_ example: Case) throws {
        let result = URLList.parse(Data(example.text.utf8), maxURLs: 100)
        switch result {
        case .success(let list):
            #expect(example.rejection == nil)
            #expect(list.urls == example.urls)
            #expect(list.invalidLines.map(\.number) == example.invalid)
        case .failure(let rejection):
            #expect(rejection.code == example.rejection)
        }
    }

    @Test func invalidLineMessageQuotesTheLineCutShort() throws {
        let long = "ftp://e.example/" + String(repeating: "x", count: 200)
        let list = try URLList.parse(Data(("\n" + long + "\n").utf8), maxURLs: 10).get()
        let message = try #require(list.invalidLines.first?.message)
        #expect(message.hasPrefix("line 2 is not an http or https URL: \"ftp://e.example/xxx"))
        #expect(message.hasSuffix("...\""))
        #expect(message.count < 140)
    }

    @Test func bytesThatAreNotUTF8AreRefused() {
        let bytes = Data("http://e.example/a\n".utf8) + Data([0xC3, 0x28, 0x0A])
        let result = URLList.parse(bytes, maxURLs: 10)
        guard case .failure(let rejection) = result else {
            Issue.record("a list with invalid UTF-8 was accepted")
            return
        }
        #expect(rejection.code == "unsupported_type")
        #expect(rejection.message.contains("line 2"))
    }

    @Test func aLineLongerThanTheLimitRefusesTheList() {
        let line = "https://e.example/" + String(repeating: "a", count: URLList.maxLineBytes)
        let result = URLList.parse(Data(("https://e.example/ok\n" + line).utf8), maxURLs: 10)
        guard case .failure(let rejection) = result else {
            Issue.record("a list with a too long line was accepted")
            return
        }
        #expect(rejection.code == "too_large")
        #expect(rejection.message.contains("line 2"))
    }

    @Test func aLineOfExactlyTheLimitWithCRLFIsAccepted() throws {
        let url = "https://e.example/"
        let line = url + String(repeating: "a", count: URLList.maxLineBytes - url.utf8.count)
        let list = try URLList.parse(Data((line + "\r\n").utf8), maxURLs: 10).get()
        #expect(list.urls == [line])
    }

    @Test func moreURLsThanTheLimitRefusesTheList() {
        let text = (1...6).map { "https://e.example/\($0)" }.joined(separator: "\n")
        #expect((try? URLList.parse(Data(text.utf8), maxURLs: 6).get())?.urls.count == 6)
        guard case .failure(let rejection) = URLList.parse(Data(text.utf8), maxURLs: 5) else {
            Issue.record("a list past max_urls was accepted")
            return
        }
        #expect(rejection.code == "too_large")
        #expect(rejection.message.contains("inbox.max_urls"))
    }

    @Test func aHugeSingleLineIsRefusedWithoutReadingItWhole() throws {
        let harness = try InboxHarness()
        let path = harness.root + "/long.txt"
        writeFile(path, String(repeating: "h", count: 4 << 20))
        guard case .failure(let rejection) = URLList.parse(fileAt: path, maxURLs: 10) else {
            Issue.record("a 4 MiB line was accepted")
            return
        }
        #expect(rejection.code == "too_large")
        #expect(rejection.message.contains("line 1"))
    }
}

/// The names the inbox leaves alone.
@Suite("Inbox ignore rules")
struct InboxIgnoreRulesTests {
    @Test(arguments: [
        ".hidden", ".a.jpg.swp", "a.jpg.part", "b.partial", "c.tmp", "d.crdownload", "e.aria2",
        "f.jpg~", "@eaDir", "Thumbs.db", "x.skip",
    ])
    func ignored(_ name: String) {
        #expect(IgnoreRules(extra: ["*.skip"]).ignores(name))
    }

    @Test(arguments: ["a.jpg", "list.txt", "part", "a.jpg.parts", "thumbs.db.jpg", "tmp"])
    func taken(_ name: String) {
        #expect(!IgnoreRules(extra: ["*.skip"]).ignores(name))
    }
}

/// Content decides what a drop is.
@Suite("Inbox classification")
struct InboxClassificationTests {
    @Test(arguments: ["png", "gif", "webp", "avif", "tif", "bmp", "jpg"])
    func imagesMadeByVips(_ suffix: String) throws {
        let harness = try InboxHarness()
        let path = harness.root + "/image." + suffix
        try #require(try shell("vips black '\(path)' 4 4 >/dev/null 2>&1") == 0)
        let classifier = try DropClassifier(maxImageBytes: 1 << 20, maxURLs: 10)
        let kind = classifier.classify(path: path, name: "image")
        guard case .image = kind else {
            Issue.record("\(suffix) classified as \(kind)")
            return
        }
    }

    @Test(arguments: [
        "heic/IMG_5195.HEIC", "heic/samplefilehub.heif", "tiff/Tless0.tiff",
        "jpg/Canon_40D.jpg",
    ])
    func imagesOfTheCorpus(_ relative: String) throws {
        let path = corpusFolder + "/exif-samples/" + relative
        try #require(FileManager.default.fileExists(atPath: path), "corpus file \(path)")
        let classifier = try DropClassifier(maxImageBytes: 200 << 20, maxURLs: 10)
        let kind = classifier.classify(path: path, name: relative)
        guard case .image = kind else {
            Issue.record("\(relative) classified as \(kind)")
            return
        }
    }
}
