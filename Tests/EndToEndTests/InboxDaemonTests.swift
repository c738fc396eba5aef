import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// The inbox as part of a running `intake run`: `intake add`, `intake wait`, and drops that
/// survive the daemon being killed while they arrive.
@Suite("End to end: the daemon's inbox, add and wait")
struct InboxDaemonTests {
    /// A home with a fast settle time and a daemon that is started on demand.
    final class Daemon {
        let folder = TemporaryFolder()
        let home: String
        var process: IntakeProcess?

        init(settleMillis: Int = 50) throws {
            home = folder.file("home")
            #expect(try IntakeProcess.run(["init", "--home", home]).status == 0)
            try """
            [inbox]
            settle_ms = \(settleMillis)
            [download]
            connect_timeout_s = 1
            max_attempts = 100
            """.write(toFile: home + "/intake.toml", atomically: true, encoding: .utf8)
        }

        func start() throws {
            let process = try IntakeProcess(["run", "--home", home])
            #expect(process.waitForStderr(containing: "daemon ready", timeout: 60))
            self.process = process
        }

        @discardableResult
        func stop(_ signal: Int32 = SIGTERM) -> IntakeProcess.Result? {
            process?.send(signal)
            let result = process?.waitForExit(timeout: 60)
            process = nil
            return result
        }

        func run(_ arguments: [String]) throws -> IntakeProcess.Result {
            try IntakeProcess.run(arguments + ["--home", home])
        }

        func database() throws -> Database {
            try Database(path: home + "/intake.db", readOnly: true)
        }

        /// Waits until `count` drops are claimed (a bounded wait, not a sleep).
        func waitForDrops(_ count: Int64, seconds: Double = 60) throws -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                let claimed = try? database().scalar(
                    "SELECT count(*) FROM drops WHERE state != 'claiming'")
                if (claimed ?? 0) >= count { return true }
                usleep(20_000)
            }
            return false
        }
    }

    @Test("add writes a URL list drop whose tasks carry the trace id it printed")
    func addURLs() throws {
        let daemon = try Daemon()
        try daemon.start()
        defer { daemon.stop() }
        let list = try daemon.folder.write("list.txt", "https://a.invalid/2.jpg\n\n# note\n")
        let result = try daemon.run([
            "add", "https://a.invalid/1.jpg", "-f", list, "--file", list, "--json",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let written = try #require(
            JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [[String: Any]])
        #expect(written.count == 1)
        let trace = try #require(written.first?["traceId"] as? String)
        #expect(written.first?["count"] as? Int == 3)
        #expect(try daemon.waitForDrops(1))
        let tasks = try daemon.run(["tasks", "--trace", trace, "--json"])
        let list2 = try #require(
            JSONSerialization.jsonObject(with: Data(tasks.stdout.utf8)) as? [[String: Any]])
        let sources = Set(list2.compactMap { $0["source"] as? String })
        #expect(sources == ["https://a.invalid/1.jpg", "https://a.invalid/2.jpg"])
        #expect(WaitCommandFiles.visible(in: daemon.home + "/inbox") == 0)
    }

    @Test("add copies an image into the inbox; the original stays as it was")
    func addFile() throws {
        let daemon = try Daemon()
        try daemon.start()
        defer { daemon.stop() }
        let image = daemon.folder.file("photo.jpg")
        try FileManager.default.copyItem(
            atPath: Paths.corpus + "/exif-samples/jpg/Canon_40D.jpg", toPath: image)
        chmod(image, 0o644)
        let result = try daemon.run(["add", image])
        #expect(result.status == 0, "\(result.stderr)")
        let trace = try #require(result.stdout.split(separator: " ").first.map(String.init))
        #expect(trace.count == 32)
        #expect(try daemon.waitForDrops(1))
        var status = stat()
        #expect(stat(image, &status) == 0)
        #expect(status.st_mode & 0o777 == 0o644)
        #expect(status.st_nlink == 1)
        let deadline = Date().addingTimeInterval(30)
        var downloaded = false
        while Date() < deadline && !downloaded {
            let count = try? daemon.database().scalar(
                "SELECT count(*) FROM outbox WHERE event_type = 'image.downloaded' "
                    + "AND trace_id = ?1", [.text(trace)])
            downloaded = (count ?? 0) == 1
            usleep(20_000)
        }
        #expect(downloaded)
    }

    @Test("add refuses what is neither a URL nor a file, and empty calls")
    func addUsage() throws {
        let daemon = try Daemon()
        let bad = try daemon.run(["add", "ftp://x/y.jpg"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("neither an http(s) URL nor an existing file"))
        #expect(try daemon.run(["add"]).status == 64)
        let offline = try daemon.run(["add", "https://a.invalid/x.jpg"])
        #expect(offline.status == 0)
        #expect(offline.stderr.contains("no daemon is running"))
    }

    @Test("wait: done at once when idle, 69 with work and no daemon, 124 on timeout")
    func waitOutcomes() throws {
        let daemon = try Daemon()
        let idle = try daemon.run(["wait"])
        #expect(idle.status == 0)
        #expect(idle.stdout == "done\n")
        // A name that never resolves: a transient failure, retried with backoff.
        #expect(try daemon.run(["add", "https://unreachable.invalid/x.jpg"]).status == 0)
        let orphan = try daemon.run(["wait", "--json"])
        #expect(orphan.status == 69)
        #expect(orphan.stdout.contains("\"inbox\" : 1"))
        try daemon.start()
        defer { daemon.stop() }
        let timedOut = try daemon.run(["wait", "--timeout", "1"])
        #expect(timedOut.status == 124)
        #expect(timedOut.stdout.hasPrefix("pending:"))
        #expect(try daemon.run(["wait", "--timeout", "x"]).status == 64)
    }

    @Test("SIGKILL at random moments while 2,000 files arrive: each taken once, none lost")
    func killWhileDropping() async throws {
        let daemon = try Daemon(settleMillis: 0)
        let staging = daemon.folder.file("staging")
        try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
        let total = 2_000
        for index in 0..<total {
            try "https://drops.invalid/\(index).jpg\n".write(
                toFile: "\(staging)/drop-\(index).txt", atomically: false, encoding: .utf8)
        }
        let inbox = daemon.home + "/inbox"
        let writer = Task.detached {
            for index in 0..<total {
                rename("\(staging)/drop-\(index).txt", "\(inbox)/drop-\(index).txt")
                if index % 100 == 0 { try? await Task.sleep(for: .milliseconds(15)) }
            }
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<6 {
            try daemon.start()
            usleep(UInt32.random(in: 50_000...400_000, using: &generator))
            let result = daemon.stop(SIGKILL)
            #expect(result?.signaled == true)
        }
        await writer.value
        try daemon.start()
        #expect(try daemon.waitForDrops(Int64(total), seconds: 120))
        daemon.stop()
        let database = try daemon.database()
        #expect(try database.scalar("SELECT count(*) FROM drops") == Int64(total))
        #expect(try database.scalar("SELECT count(DISTINCT origin) FROM drops") == Int64(total))
        #expect(try database.scalar("SELECT count(*) FROM tasks") == Int64(total))
        #expect(try database.scalar("SELECT count(DISTINCT source) FROM tasks") == Int64(total))
        #expect(WaitCommandFiles.visible(in: daemon.home + "/inbox") == 0)
        #expect(WaitCommandFiles.visible(in: daemon.home + "/work") == 0)
    }
}

/// Counting files as `intake wait` does.
enum WaitCommandFiles {
    static func visible(in folder: String) -> Int {
        WaitCommand.countFiles(in: folder) { !$0.hasPrefix(".") }
    }
}
