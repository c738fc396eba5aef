import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// The built daemon killed and stopped while it works: nothing is lost, nothing is done twice.
@Suite("End to end: operating through kills and stops", .serialized)
struct OperatingCrashTests {
    /// 1,000 distinct tiny JPEG files staged for the inbox, and 1,000 more served by nginx
    /// with a one-line URL list staged for each.
    final class Workload {
        let operating: OperatingHome
        let nginx: NginxServer
        let staging: String
        let names: [String]

        init(files: Int, urls: Int) throws {
            let folder = TemporaryFolder()
            operating = try OperatingHome(folder: folder, configuration: "")
            let served = folder.file("served")
            staging = operating.home + "/staging"
            for path in [served, staging] {
                try FileManager.default.createDirectory(
                    atPath: path, withIntermediateDirectories: true)
            }
            nginx = try NginxServer(root: served, folder: folder.path)
            let images = try TinyJPEG.make(files + urls, in: folder.file("images"))
            var names: [String] = []
            for index in 0..<files {
                let name = "photo-\(index).jpg"
                rename(images[index], staging + "/" + name)
                names.append(name)
            }
            for index in files..<(files + urls) {
                rename(images[index], "\(served)/\(index).jpg")
                let name = "list-\(index).txt"
                try (nginx.url("/\(index).jpg") + "\n").write(
                    toFile: staging + "/" + name, atomically: false, encoding: .utf8)
                names.append(name)
            }
            self.names = names.shuffled()
        }

        /// Moves the staged drops into the inbox (same file system: a rename, as a user's
        /// `mv` does), `batch` at a time with a short pause between batches.
        func drop(batch: Int = 100) async {
            await Workload.move(names, from: staging, to: operating.home + "/inbox", batch: batch)
        }

        static func move(_ names: [String], from staging: String, to inbox: String, batch: Int)
            async
        {
            for (index, name) in names.enumerated() {
                rename(staging + "/" + name, inbox + "/" + name)
                if index % batch == batch - 1 { try? await Task.sleep(for: .milliseconds(20)) }
            }
        }
    }

    /// Drops of the kill test: half files, half URLs. 2,000 take about a minute on the 2-core
    /// test machine with a debug build; `INTAKE_OPERATING_DROPS` sets another number.
    static let killDrops =
        ProcessInfo.processInfo.environment["INTAKE_OPERATING_DROPS"].flatMap { Int($0) } ?? 2_000

    @Test("SIGKILL at 20 random moments during the drops: one terminal event per task")
    func killDuringWork() async throws {
        let total = OperatingCrashTests.killDrops
        let workload = try Workload(files: total / 2, urls: total - total / 2)
        let operating = workload.operating
        let (names, staging) = (workload.names, workload.staging)
        let inbox = operating.home + "/inbox"
        let dropping = Task.detached {
            await Workload.move(names, from: staging, to: inbox, batch: 100)
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            try operating.start()
            usleep(UInt32.random(in: 50_000...400_000, using: &generator))
            let killed = operating.stop(SIGKILL)
            #expect(killed?.signaled == true)
        }
        await dropping.value
        try operating.start()
        let waited = try operating.run(["wait", "--timeout", "240"], timeout: 260)
        let open = waited.status == 0 ? "" : operating.unfinished()
        let stopped = operating.stop()
        #expect(stopped?.status == 0)
        let complaints = (stopped?.stderr ?? "").split(separator: "\n")
            .filter { $0.contains("error") || $0.contains("failed") }.suffix(20)
        #expect(
            waited.status == 0,
            "\(waited.stdout)\n\(open)\n\(complaints.joined(separator: "\n"))")
        try operating.expectFinished(tasks: total, completed: total)
    }

    @Test("what a killed run left in work/ and a half-written thumbnail are removed at start")
    func leftoverInWork() async throws {
        let operating = try OperatingHome(configuration: "")
        let image = try #require(
            try TinyJPEG.make(1, in: operating.folder.file("images")).first)
        try operating.start()
        rename(image, operating.home + "/inbox/photo.jpg")
        #expect(try operating.run(["wait", "--timeout", "60"]).status == 0)
        #expect(operating.stop()?.status == 0)
        // The window a SIGKILL can hit: the outcome is committed, the file not yet unlinked.
        let workPath = try #require(
            try operating.database().row("SELECT work_path FROM tasks") { $0.optionalText(0) }
                ?? nil)
        #expect(FileManager.default.createFile(atPath: workPath, contents: Data([0xFF])))
        // A thumbnail write cut off by the kill, and a file of the user's that is not one.
        let thumbnails = operating.home + "/store/thumbnails"
        let halfWritten = thumbnails + "/.\(Identifier.uuidV7()).webp.tmp"
        let usersOwn = thumbnails + "/notes.tmp"
        #expect(FileManager.default.createFile(atPath: halfWritten, contents: Data([0x52])))
        #expect(FileManager.default.createFile(atPath: usersOwn, contents: Data([0x52])))
        #expect(try operating.run(["wait", "--timeout", "1"]).status == 69, "no daemon runs")

        try operating.start()
        let waited = try operating.run(["wait", "--timeout", "60"], timeout: 90)
        let stopped = operating.stop()
        #expect(waited.status == 0, "\(waited.stdout)")
        #expect(!FileManager.default.fileExists(atPath: workPath))
        #expect(stopped?.stderr.contains("work/ cleaned up after the previous run") == true)
        #expect(!FileManager.default.fileExists(atPath: halfWritten))
        #expect(FileManager.default.fileExists(atPath: usersOwn))
        #expect(stopped?.stderr.contains("removed thumbnails a crash left half written") == true)
        try operating.expectFinished(tasks: 1, completed: 1)
    }

    @Test("SIGTERM during heavy work exits 0 within the grace period; the next start finishes")
    func termDuringWork() async throws {
        let workload = try Workload(files: 100, urls: 100)
        let operating = workload.operating
        try operating.start()
        await workload.drop(batch: 200)
        // Stop in the thick of it: once some task is done and many are still to do.
        let deadline = Date().addingTimeInterval(60)
        var done: Int64 = 0
        while Date() < deadline && done == 0 {
            done =
                (try? operating.database().scalar(
                    "SELECT count(*) FROM tasks WHERE state = 'completed'")) ?? 0
            usleep(20_000)
        }
        #expect(done > 0)
        let started = Date()
        let stopped = operating.stop(
            SIGTERM, timeout: Double(Daemon.gracePeriod.components.seconds) + 10)
        let took = Date().timeIntervalSince(started)
        #expect(stopped?.status == 0, "\(stopped?.stderr.suffix(2_000) ?? "")")
        #expect(stopped?.signaled == false)
        #expect(took < Double(Daemon.gracePeriod.components.seconds) + 5)
        #expect(stopped?.stderr.contains("daemon stopped") == true)
        let completed =
            try operating.database().scalar(
                "SELECT count(*) FROM tasks WHERE state = 'completed'") ?? 0
        #expect(completed < 200, "the work was over before the stop signal")

        try operating.start()
        let waited = try operating.run(["wait", "--timeout", "120"], timeout: 150)
        #expect(waited.status == 0, "\(waited.stdout)")
        #expect(operating.stop()?.status == 0)
        try operating.expectFinished(tasks: 200, completed: 200)
    }
}
