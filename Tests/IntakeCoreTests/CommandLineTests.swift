import Testing

@testable import IntakeCore

@Suite("Command line parsing")
struct CommandLineTests {
    static let spec = CommandSpec(
        name: "tasks", synopsis: "[ID...]", summary: "list",
        options: [
            .json, .value("limit", "N", "at most N"),
            .value(
                "state", "S", "filter",
                repeatable: true),
        ],
        positionals: 0...2)

    @Test("options, values, flags and positionals")
    func parses() throws {
        let parsed = try ParsedArguments.parse(
            ["a", "--json", "--limit", "5", "--state=failed", "--state", "queued", "--", "--b"],
            spec: Self.spec)
        #expect(parsed.positionals == ["a", "--b"])
        #expect(parsed.flag("json"))
        #expect(try parsed.int("limit", in: 1...10) == 5)
        #expect(parsed.values("state") == ["failed", "queued"])
        #expect(parsed.value("home") == nil)
    }

    @Test(
        "bad usage names the problem and the command",
        arguments: [
            (["--nope"], "unknown option --nope"),
            (["--limit"], "--limit needs a value"),
            (["--json=1"], "--json takes no value"),
            (["--limit", "1", "--limit", "2"], "--limit is given twice"),
            (["a", "b", "c"], "unexpected argument 'c'"),
            (["-x"], "unknown option -x"),
        ])
    func refuses(_ arguments: [String], _ reason: String) {
        #expect {
            try ParsedArguments.parse(arguments, spec: Self.spec)
        } throws: { error in
            guard let usage = error as? UsageError else { return false }
            return usage.message.contains(reason) && usage.hint == "see 'intake tasks --help'"
        }
    }

    @Test("integer options are range-checked")
    func integerRange() throws {
        let parsed = try ParsedArguments.parse(["--limit", "0"], spec: Self.spec)
        #expect(throws: UsageError.self) { try parsed.int("limit", in: 1...10) }
        let words = try ParsedArguments.parse(["--limit", "ten"], spec: Self.spec)
        #expect(throws: UsageError.self) { try words.int("limit", in: 1...10) }
    }

    @Test("--help is accepted whatever else is missing")
    func helpWins() throws {
        let required = CommandSpec(name: "show", synopsis: "ID", summary: "s", positionals: 1...1)
        let parsed = try ParsedArguments.parse(["--help"], spec: required)
        #expect(parsed.flag("help"))
        #expect(required.help.hasPrefix("usage: intake show [options] ID"))
        #expect(required.help.contains("--home DIR"))
    }

    @Test("every registered command has a unique name, a summary and help")
    func registry() {
        let names = CommandRegistry.commands.map { $0.spec.name }
        #expect(Set(names).count == names.count)
        for command in CommandRegistry.commands {
            #expect(!command.spec.summary.isEmpty)
            #expect(CommandRegistry.overview.contains(command.spec.name))
        }
    }
}
