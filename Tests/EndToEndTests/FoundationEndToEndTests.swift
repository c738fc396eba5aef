import Foundation
import Testing
import TestSupport

/// The built `intake` binary, run the way a user runs it, in a temporary home.
@Suite("End to end: the command frame, init, run, status, doctor")
struct FoundationEndToEndTests {
    @Test("--version and --help")
    func versionAndHelp() throws {
        let version = try IntakeProcess.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.hasPrefix("intake "))
        let help = try IntakeProcess.run(["--help"])
        #expect(help.status == 0)
        for command in ["run", "init", "status", "doctor"] {
            #expect(help.stdout.contains("  \(command) "))
        }
        let commandHelp = try IntakeProcess.run(["status", "--help"])
        #expect(commandHelp.status == 0)
        #expect(commandHelp.stdout.hasPrefix("usage: intake status"))
    }

    @Test(
        "bad usage exits 64 with a one-line hint",
        arguments: [
            ([String](), "no command given", "see 'intake --help'"),
            (["frobnicate"], "unknown command 'frobnicate'", "see 'intake --help'"),
            (["status", "--bogus"], "unknown option --bogus", "see 'intake status --help'"),
            (["init", "extra"], "unexpected argument 'extra'", "see 'intake init --help'"),
            (["status", "--home"], "--home needs a value", "see 'intake status --help'"),
        ])
    func badUsage(_ arguments: [String], _ message: String, _ hint: String) throws {
        let result = try IntakeProcess.run(arguments)
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3)
        #expect(lines.first?.hasPrefix("intake: \(message)") == true)
        #expect(lines.dropFirst().first == "hint: \(hint)")
    }

    @Test("init creates the layout and configuration, and is safe to run twice")
    func initTwice() throws {
        let folder = TemporaryFolder()
        let home = folder.file("home")
        let first = try IntakeProcess.run(["init", "--home", home])
        #expect(first.status == 0)
        #expect(first.stdout.contains("configuration: wrote \(home)/intake.toml"))
        for sub in [
            "inbox", "rejected", "work", "store/originals", "store/thumbnails",
            "spool/tmp", "spool/events", "spool/subscribers", "plugins",
        ] {
            var status = stat()
            #expect(stat(home + "/" + sub, &status) == 0, "\(sub)")
            #expect(status.st_mode & 0o777 == 0o700, "\(sub)")
        }
        var status = stat()
        #expect(stat(home + "/intake.toml", &status) == 0)
        #expect(status.st_mode & 0o777 == 0o600)
        try "# edited\n[inbox]\nsettle_ms = 5\n".write(
            toFile: home + "/intake.toml", atomically: true, encoding: .utf8)
        let second = try IntakeProcess.run(["init", "--home", home])
        #expect(second.status == 0)
        #expect(second.stdout.contains("folders: all present"))
        #expect(second.stdout.contains("configuration: kept"))
        let kept = try String(contentsOfFile: home + "/intake.toml", encoding: .utf8)
        #expect(kept.hasPrefix("# edited"))
    }

    @Test("INTAKE_HOME chooses the home when --home is absent")
    func environmentHome() throws {
        let folder = TemporaryFolder()
        let result = try IntakeProcess.run(
            ["init"], environment: ["INTAKE_HOME": folder.file("env-home")])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: folder.file("env-home/inbox")))
    }

    @Test("run becomes ready, a second run is refused naming the pid, SIGTERM exits 0")
    func runLifecycle() throws {
        let folder = TemporaryFolder()
        let home = folder.file("home")
        let before = try IntakeProcess.run(["status", "--home", home, "--json"])
        #expect(before.status == 0)
        let idle = try statusDocument(before.stdout)
        #expect((idle["daemon"] as? [String: Any])?["running"] as? Bool == false)

        let daemon = try IntakeProcess(["run", "--home", home])
        #expect(daemon.waitForStderr(containing: "daemon ready"))
        let pid = daemon.process.processIdentifier

        let second = try IntakeProcess.run(["run", "--home", home])
        #expect(second.status == 1)
        #expect(second.stderr.contains("held by process \(pid)"))

        let running = try IntakeProcess.run(["status", "--home", home, "--json"])
        #expect(running.status == 0)
        let document = try statusDocument(running.stdout)
        let state = document["daemon"] as? [String: Any]
        #expect(state?["running"] as? Bool == true)
        #expect(state?["ready"] as? Bool == true)
        #expect(state?["pid"] as? Int == Int(pid))
        #expect((document["database"] as? [String: Any])?["schemaVersion"] as? Int ?? 0 >= 1)

        daemon.send(SIGTERM)
        let ended = daemon.waitForExit(timeout: 30)
        #expect(ended.status == 0)
        #expect(!ended.signaled)
        #expect(ended.stderr.contains("daemon stopped"))

        let after = try IntakeProcess.run(["status", "--home", home])
        #expect(after.stdout.contains("daemon    not running"))
    }

    @Test("SIGINT stops the daemon with exit 0 too")
    func interrupt() throws {
        let folder = TemporaryFolder()
        let daemon = try IntakeProcess(["run", "--home", folder.path])
        #expect(daemon.waitForStderr(containing: "daemon ready"))
        daemon.send(SIGINT)
        let ended = daemon.waitForExit(timeout: 30)
        #expect(ended.status == 0)
    }

    @Test(
        "a bad configuration stops run with the file, line and key",
        arguments: [
            ("[inbox]\nsettle_ms = 10\nfrobs = 3\n", ":3: inbox.frobs: unknown key"),
            (
                "[download]\n\nconcurrency = \"many\"\n",
                ":3: download.concurrency: expected an integer, found a string"
            ),
        ])
    func badConfiguration(_ text: String, _ expected: String) throws {
        let folder = TemporaryFolder()
        let file = try folder.write("home/intake.toml", text)
        let result = try IntakeProcess.run(["run", "--home", folder.file("home")])
        #expect(result.status == 1)
        #expect(result.stderr == "intake: \(file)\(expected)\n")
        let explicit = try IntakeProcess.run(
            ["run", "--home", folder.file("other"), "--config", file])
        #expect(explicit.status == 1)
        #expect(explicit.stderr.contains(expected))
    }

    @Test("doctor prints one verdict per check and exits by the worst one")
    func doctor() throws {
        let folder = TemporaryFolder()
        let result = try IntakeProcess.run(["doctor", "--home", folder.path])
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count >= 7)
        for line in lines {
            #expect(["OK ", "WARN ", "FAIL "].contains { line.hasPrefix($0) }, "\(line)")
        }
        for name in [
            "max_user_watches", "max_queued_events", "inbox file system",
            "home writable", "sqlite", "libmagic", "libexif",
        ] {
            #expect(result.stdout.contains(name), "\(name)")
        }
        let failed = lines.contains { $0.hasPrefix("FAIL") }
        #expect(result.status == (failed ? 1 : 0))
        #expect(result.stdout.contains("OK    home writable"))

        let json = try IntakeProcess.run(["doctor", "--home", folder.path, "--json"])
        let checks = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [Any]
        #expect(checks?.count == lines.count)
    }

    @Test("doctor fails when the home cannot be written")
    func doctorReadOnlyHome() throws {
        let folder = TemporaryFolder()
        let home = folder.file("home")
        #expect(try IntakeProcess.run(["init", "--home", home]).status == 0)
        // Root writes anywhere by permission bits, so make the home a read-only mount point
        // is not available here; a file in place of the home folder is refused for everyone.
        try FileManager.default.removeItem(atPath: home)
        try folder.write("home", "a file, not a folder")
        let result = try IntakeProcess.run(["doctor", "--home", home])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL  home writable"))
    }

    private func statusDocument(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }
}
