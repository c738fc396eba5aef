import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// A home for the operating tests: written configuration, a daemon started on demand, and
/// the checks every operating test makes of the home once the work is done.
final class OperatingHome {
    let folder: TemporaryFolder
    let home: String
    var process: IntakeProcess?

    /// Initialises a home at `home` (default: a folder in the test's temporary folder) with
    /// `configuration` appended to a fast settle time and generous attempts.
    init(folder: TemporaryFolder = TemporaryFolder(), home: String? = nil, configuration: String)
        throws
    {
        self.folder = folder
        self.home = home ?? folder.file("home")
        let initialised = try IntakeProcess.run(["init", "--home", self.home])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        try """
        [inbox]
        settle_ms = 0
        [download]
        connect_timeout_s = 2
        max_attempts = 100
        allow_private_addresses = true
        [metadata]
        max_attempts = 100
        [analysis]
        max_attempts = 100
        \(configuration)
        """.write(toFile: self.home + "/intake.toml", atomically: true, encoding: .utf8)
    }

    /// Starts `intake run` and waits (bounded) until it is ready.
    func start() throws {
        let process = try IntakeProcess(["run", "--home", home])
        #expect(process.waitForStderr(containing: "daemon ready", timeout: 60))
        self.process = process
    }

    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, timeout: Double = 60) -> IntakeProcess.Result? {
        process?.send(signal)
        let result = process?.waitForExit(timeout: timeout)
        process = nil
        return result
    }

    func run(_ arguments: [String], timeout: Double = 60) throws -> IntakeProcess.Result {
        try IntakeProcess.run(arguments + ["--home", home], timeout: timeout)
    }

    func database() throws -> Database {
        try Database(path: home + "/intake.db", readOnly: true)
    }

    /// What is still open when a wait ran out: each unfinished task with its job rows, for the
    /// test's failure message.
    func unfinished() -> String {
        guard let database = try? database() else { return "(database unreadable)" }
        let rows =
            (try? database.rows(
                "SELECT t.id, t.stage, t.state, t.attempts, j.id, j.queue, j.state, j.attempts, "
                    + "j.due_at FROM tasks t LEFT JOIN jobs j ON j.task_id = t.id "
                    + "WHERE t.state NOT IN ('completed', 'failed') ORDER BY t.id LIMIT 20"
            ) { row in
                (0..<9).map { row.isNull($0) ? "-" : row.text($0) }.joined(separator: " ")
            }) ?? []
        return rows.joined(separator: "\n")
    }

    /// Files (not folders, not dot files) under `path`, recursively.
    func files(under path: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: path) else { return [] }
        var found: [String] = []
        while let name = walker.nextObject() as? String {
            var isFolder: ObjCBool = false
            let full = path + "/" + name
            guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder),
                !isFolder.boolValue,
                !(name as NSString).lastPathComponent.hasPrefix(".")
            else { continue }
            found.append(full)
        }
        return found
    }

    /// The distinct terminal event ids (`task.completed`, `task.failed`) per task, read from
    /// every event file in the spool.
    func terminalEvents() throws -> [String: Set<String>] {
        var byTask: [String: Set<String>] = [:]
        for path in files(under: home + "/spool/events") {
            let name = (path as NSString).lastPathComponent
            guard name.contains(".task.completed.") || name.contains(".task.failed.") else {
                continue
            }
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let event = try #require(
                JSONSerialization.jsonObject(with: data) as? [String: Any], "\(path)")
            let task = try #require(event["taskId"] as? String)
            let id = try #require(event["eventId"] as? String)
            byTask[task, default: []].insert(id)
        }
        return byTask
    }

    /// The checks of a finished run: every task has exactly one terminal event in the spool,
    /// nothing is left in `inbox/`, `work/`, `store/tmp`, or `spool/tmp`, every original is
    /// stored once, and every JSON file in the spool parses.
    func expectFinished(tasks expected: Int, completed: Int) throws {
        let database = try database()
        #expect(try database.scalar("SELECT count(*) FROM tasks") == Int64(expected))
        #expect(
            try database.scalar("SELECT count(*) FROM tasks WHERE state = 'completed'")
                == Int64(completed))
        let terminal = try terminalEvents()
        #expect(terminal.count == expected)
        #expect(terminal.values.allSatisfy { $0.count == 1 })
        #expect(files(under: home + "/inbox").isEmpty)
        #expect(files(under: home + "/work").isEmpty)
        #expect(files(under: home + "/store/tmp").isEmpty)
        #expect(files(under: home + "/spool/tmp").isEmpty)
        var digests: [String: String] = [:]
        for path in files(under: home + "/store/originals") {
            let digest = SHA256()
            try Data(contentsOf: URL(fileURLWithPath: path)).withUnsafeBytes { digest.update($0) }
            let hex = digest.finish()
            #expect(digests[hex] == nil, "\(path) repeats \(digests[hex] ?? "")")
            digests[hex] = path
        }
        var unreadable: [String] = []
        for path in files(under: home + "/spool") where path.hasSuffix(".json") {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            if (try? JSONSerialization.jsonObject(with: data)) == nil { unreadable.append(path) }
        }
        #expect(unreadable.isEmpty, "partial JSON files: \(unreadable.prefix(5))")
    }
}

/// Tiny distinct JPEGs: 16x16 random noise made by one ImageMagick call, so that every
/// image differs in content and in its perceptual hash (identical pixels would make every
/// image a near duplicate of all the others, which is not the load these tests are about).
enum TinyJPEG {
    /// Writes `count` images as `folder/noise-<n>.jpg` and returns their paths.
    static func make(_ count: Int, in folder: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let convert = Process()
        convert.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        convert.arguments = [
            "convert", "-size", "16x16", "xc:gray", "-duplicate", "\(count - 1)", "+noise",
            "Random", folder + "/noise-%d.jpg",
        ]
        try convert.run()
        convert.waitUntilExit()
        #expect(convert.terminationStatus == 0, "ImageMagick convert failed")
        return (0..<count).map { folder + "/noise-\($0).jpg" }
    }
}

/// A test's setup failed (a server did not start, a mount was refused).
struct OperatingSetupError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
