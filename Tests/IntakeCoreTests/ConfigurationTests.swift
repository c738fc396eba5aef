import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("Configuration")
struct ConfigurationTests {
    @Test("etc/intake.toml is the template, lists every key, and parses to the defaults")
    func shippedFileMatchesDefaults() throws {
        let path = Paths.repository + "/etc/intake.toml"
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == ConfigurationTemplate.text)
        #expect(try ConfigurationLoader.parse(text, file: path) == Configuration())
        let entries = try TOMLReader.parse(text, file: path)
        let listed = entries.map { "\($0.table).\($0.key)" }
        #expect(listed == ConfigurationLoader.keyNames)
    }

    @Test("a missing default file means all defaults; a missing --config file is an error")
    func missingFile() throws {
        let folder = TemporaryFolder()
        let configuration = try ConfigurationLoader.load(
            file: folder.file("intake.toml"), mustExist: false)
        #expect(configuration == Configuration())
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(file: folder.file("other.toml"), mustExist: true)
        }
    }

    @Test("values override the defaults key by key")
    func overrides() throws {
        let text = """
            # comment
            [inbox]
            settle_ms = 0
            ignore = ["*.xmp", '*.json',]

            [download]
            max_bytes = 1_048_576  # one MiB
            user_agent = "bot \\"x\\" \\u00e9"
            allow_private_addresses = true
            [analysis]
            command = [
                "/usr/bin/analyze",  # the program
                "--fast",
            ]
            [store]
            duplicates = "reprocess"
            [log]
            level = "debug"
            format = "json"
            [files]
            file_mode = "0640"
            """
        let configuration = try ConfigurationLoader.parse(text, file: "t.toml")
        #expect(configuration.inbox.settleMillis == 0)
        #expect(configuration.inbox.ignore == ["*.xmp", "*.json"])
        #expect(configuration.download.maxBytes == 1_048_576)
        #expect(configuration.download.userAgent == "bot \"x\" \u{e9}")
        #expect(configuration.download.allowPrivateAddresses)
        #expect(configuration.analysis.command == ["/usr/bin/analyze", "--fast"])
        #expect(configuration.store.duplicates == .reprocess)
        #expect(configuration.log.level == .debug)
        #expect(configuration.log.format == .json)
        #expect(configuration.files.fileMode == 0o640)
        #expect(configuration.download.perHost == 2)
    }

    /// A bad file and the line and key its error must name.
    struct BadCase: Sendable, CustomTestStringConvertible {
        let text: String
        let line: Int
        let key: String
        let reason: String
        var testDescription: String { reason }
    }

    @Test("analysis.concurrency 0, the default, runs one worker more than the cores")
    func automaticAnalysisWorkers() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        #expect(Configuration().analysis.concurrency == 0)
        #expect(Configuration().analysis.workers == cores + 1)
        let set = try ConfigurationLoader.parse("[analysis]\nconcurrency = 5\n", file: "t.toml")
        #expect(set.analysis.workers == 5)
    }

    @Test(
        "bad files are refused with file, line and key",
        arguments: [
            BadCase(
                text: "[inbox]\nsettle = 3\n", line: 2, key: "inbox.settle", reason: "unknown key"),
            BadCase(
                text: "[inbox]\n\nsettle_ms = \"fast\"\n", line: 3, key: "inbox.settle_ms",
                reason: "expected an integer, found a string"),
            BadCase(
                text: "[download]\nper_host = 0\n", line: 2, key: "download.per_host",
                reason: "out of range"),
            BadCase(
                text: "[store]\nduplicates = \"keep\"\n", line: 2, key: "store.duplicates",
                reason: "is not one of"),
            BadCase(text: "[frob]\nx = 1\n", line: 2, key: "frob.x", reason: "unknown table"),
            BadCase(text: "x = 1\n", line: 1, key: "x", reason: "unknown key"),
            BadCase(
                text: "[inbox]\nignore = [1]\n", line: 2, key: "inbox.ignore",
                reason: "an array of strings"),
            BadCase(
                text: "[inbox]\nrecursive = yes\n", line: 2, key: "inbox.recursive",
                reason: "strings need quotes"),
            BadCase(
                text: "[inbox]\nsettle_ms = 1\nsettle_ms = 2\n", line: 3,
                key: "inbox.settle_ms", reason: "set twice"),
            BadCase(text: "[inbox]\n[inbox]\n", line: 2, key: "", reason: "appears twice"),
            BadCase(text: "[log]\nlevel = \"loud\n", line: 2, key: "", reason: "unterminated"),
            BadCase(
                text: "[files]\nfile_mode = \"0999\"\n", line: 2, key: "files.file_mode",
                reason: "not an octal mode"),
            BadCase(
                text: "[analysis]\ncommand = { a = 1 }\n", line: 2, key: "analysis.command",
                reason: "inline tables"),
            BadCase(
                text: "[analysis]\nconcurrency = -1\n", line: 2, key: "analysis.concurrency",
                reason: "out of range"),
        ])
    func refused(_ bad: BadCase) {
        do {
            _ = try ConfigurationLoader.parse(bad.text, file: "/etc/x.toml")
            Issue.record("accepted: \(bad.text)")
        } catch {
            #expect(error.file == "/etc/x.toml")
            #expect(error.line == bad.line)
            #expect(error.key == bad.key)
            #expect(error.message.contains(bad.reason), "\(error.message)")
            #expect(error.message.hasPrefix("/etc/x.toml:\(bad.line)"))
        }
    }
}
