import Foundation
import TestSupport

@testable import IntakeCore

/// One run of the whole pipeline, as a user would drive it: the built `intake` daemon on a
/// temporary home, every image of the corpus dropped into its inbox at once (one folder moved
/// in), a PNG re-encoding of one corpus JPEG beside them, a `*` subscriber, the sample plugin
/// `log-finished`, and a URL list of copies of some corpus files served by nginx on
/// 127.0.0.1. What the run leaves (events, status, plugin output, `intake similar`,
/// `intake inspect` over the same files) is gathered into values, then the daemon and nginx
/// are stopped and the folder removed, so the tests only read what was observed.
struct PipelineRun: Sendable {
    /// One event file of the `*` subscriber's `new/` folder.
    struct Event: Sendable, Decodable {
        let eventId: String
        let eventType: String
        let taskId: String?
        let traceId: String
        let payload: [String: JSONValue]
    }

    /// What `intake inspect --json` says of one file.
    struct Inspection: Sendable {
        let fields: [String: JSONValue]
        var errorCode: String? {
            guard case .object(let error)? = fields["error"] else { return nil }
            return error["code"]?.stringValue
        }
    }

    /// The corpus JPEG re-encoded as PNG, and copied to the server.
    static let reencodedSource = "jpg/gps/DSCN0010.jpg"
    /// Corpus files that nginx serves copies of, under their own names.
    static let servedSources = [
        "jpg/gps/DSCN0010.jpg", "jpg/Canon_40D.jpg", "jpg/orientation/portrait_6.jpg",
        "tiff/Arbitro.tiff", "heic/IMG_5195.HEIC",
    ]
    static let reencodedName = "DSCN0010-reencoded.png"

    /// Events in publication order (file names sort by sequence number).
    let events: [Event]
    /// Inbox-relative path of each dropped file (the corpus keeps its folders, under
    /// `corpus/`) to the task id its drop became.
    let droppedTasks: [String: String]
    /// Served name to the task id of its URL.
    let urlTasks: [String: String]
    /// The trace id `intake add` printed for the URL list.
    let urlListTrace: String
    /// Corpus-relative path (and `reencodedName`) to what `intake inspect` says.
    let inspections: [String: Inspection]
    /// `intake wait --timeout 300`.
    let waitStatus: Int32
    let waitOutput: String
    /// `intake status --json`, after the wait.
    let status: [String: JSONValue]
    /// `intake similar --json` on the corpus file that was re-encoded.
    let similar: [[String: JSONValue]]
    /// Lines of `finished.log`, written by the sample plugin `log-finished`, split at tabs.
    let finishedLog: [[String: String]]
    /// Seconds from the drop to the end of `intake wait`.
    let seconds: Double

    /// Runs the pipeline once per test process.
    static let shared: Result<PipelineRun, PipelineFailure> = {
        do {
            return .success(try PipelineRun())
        } catch let failure as PipelineFailure {
            return .failure(failure)
        } catch {
            return .failure(PipelineFailure("\(error)"))
        }
    }()

    /// Image files of the corpus (by extension: the corpus also holds READMEs and a dump).
    static func corpusImages() throws -> [String] {
        let root = Paths.corpus + "/exif-samples"
        let extensions: Set<String> = ["jpg", "jpeg", "tif", "tiff", "heic", "heif"]
        let all = try FileManager.default.subpathsOfDirectory(atPath: root)
        return all.filter { extensions.contains(($0 as NSString).pathExtension.lowercased()) }
            .sorted()
    }

    private init() throws {
        let folder = TemporaryFolder("intake-pipeline")
        let home = folder.file("home")
        let corpus = Paths.corpus + "/exif-samples"
        let images = try Self.corpusImages()
        let staging = folder.file("staging/corpus")
        let served = folder.file("served")
        let manager = FileManager.default
        for image in images {
            let target = staging + "/" + image
            try manager.createDirectory(
                atPath: (target as NSString).deletingLastPathComponent,
                withIntermediateDirectories: true)
            try manager.copyItem(atPath: corpus + "/" + image, toPath: target)
            chmod(target, 0o644)
        }
        try manager.createDirectory(atPath: served, withIntermediateDirectories: true)
        for source in Self.servedSources {
            let target = served + "/" + (source as NSString).lastPathComponent
            try manager.copyItem(atPath: corpus + "/" + source, toPath: target)
            chmod(target, 0o644)
        }
        // The PNG is inspected where it was made; a copy of it is dropped.
        let reencoded = folder.file("png/" + Self.reencodedName)
        try manager.createDirectory(
            atPath: folder.file("png"), withIntermediateDirectories: true)
        try Self.execute("/usr/bin/convert", [corpus + "/" + Self.reencodedSource, reencoded])
        let reencodedDrop = folder.file(Self.reencodedName)
        try manager.copyItem(atPath: reencoded, toPath: reencodedDrop)

        // intake inspect over the very same bytes, in one process, while the daemon works.
        let inspect = try IntakeProcess(
            ["inspect", "--json"] + images.map { corpus + "/" + $0 } + [reencoded])

        try Self.intake(["init", "--home", home])
        try "[download]\nallow_private_addresses = true\n".write(
            toFile: home + "/intake.toml", atomically: true, encoding: .utf8)
        try Self.intake(["subscribe", "all", "*", "--home", home])
        let plugin = home + "/plugins/log-finished"
        try manager.copyItem(
            atPath: Paths.repository + "/Samples/plugins/log-finished", toPath: plugin)
        chmod(plugin, 0o755)
        let server = try NginxServer(root: served, folder: folder.path)
        let daemon = try IntakeProcess(["run", "--home", home])
        defer {
            daemon.send(SIGTERM)
            _ = daemon.waitForExit(timeout: 60)
        }
        guard daemon.waitForStderr(containing: "daemon ready", timeout: 60) else {
            throw PipelineFailure("the daemon did not get ready")
        }

        let started = Date()
        guard rename(staging, home + "/inbox/corpus") == 0,
            rename(reencodedDrop, home + "/inbox/" + Self.reencodedName) == 0
        else { throw PipelineFailure("could not move the drops in: errno \(errno)") }
        // The served copies must arrive after their dropped originals are in the store, or a
        // fast download would make the dropped file the duplicate; the first holder of a
        // content is the first task whose download finished.
        try Self.waitForDownloads(home: home, tasks: images.count + 1)
        let list = try Self.intake(
            ["add", "--home", home]
                + Self.servedSources.map { server.url("/" + ($0 as NSString).lastPathComponent) })
        urlListTrace = String(list.split(separator: " ").first ?? "")
        let wait = try IntakeProcess.run(
            ["wait", "--timeout", "300", "--home", home], timeout: 320)
        seconds = Date().timeIntervalSince(started)
        waitStatus = wait.status
        waitOutput = wait.stdout + wait.stderr

        events = try Self.readEvents(home + "/spool/subscribers/all/new")
        (droppedTasks, urlTasks) = try Self.tasksBySource(home: home)
        status = try Self.json(Self.intake(["status", "--json", "--home", home]))
        let similarOutput = try Self.intake(
            ["similar", "--json", corpus + "/" + Self.reencodedSource, "--home", home])
        similar = try JSONDecoder().decode(
            [[String: JSONValue]].self, from: Data(similarOutput.utf8))
        let terminal = events.filter { $0.eventType.hasPrefix("task.") }.count
        finishedLog = try Self.waitForLines(home + "/finished.log", count: terminal)

        let inspected = inspect.waitForExit(timeout: 120)
        let reports = try JSONDecoder().decode(
            [[String: JSONValue]].self, from: Data(inspected.stdout.utf8))
        var inspections: [String: Inspection] = [:]
        for report in reports {
            guard let path = report["path"]?.stringValue else { continue }
            let key =
                path.hasPrefix(corpus + "/")
                ? String(path.dropFirst(corpus.count + 1)) : (path as NSString).lastPathComponent
            inspections[key] = Inspection(fields: report)
        }
        self.inspections = inspections
    }

    /// Runs `intake ARGUMENTS`, which must succeed, and returns its standard output.
    @discardableResult
    private static func intake(_ arguments: [String]) throws -> String {
        let result = try IntakeProcess.run(arguments)
        guard result.status == 0 else {
            throw PipelineFailure("intake \(arguments) exited \(result.status): \(result.stderr)")
        }
        return result.stdout
    }

    private static func execute(_ program: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PipelineFailure("\(program) \(arguments) exited \(process.terminationStatus)")
        }
    }

    private static func json(_ text: String) throws -> [String: JSONValue] {
        try JSONDecoder().decode([String: JSONValue].self, from: Data(text.utf8))
    }

    /// Waits (at most five minutes) until `tasks` tasks exist and none is at the download stage.
    private static func waitForDownloads(home: String, tasks: Int) throws {
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            let database = try? Database(path: home + "/intake.db", readOnly: true)
            let total = try? database?.scalar("SELECT count(*) FROM tasks")
            let downloading = try? database?.scalar(
                "SELECT count(*) FROM tasks WHERE stage = 'download' AND state != 'failed'")
            if total == Int64(tasks) && downloading == 0 { return }
            usleep(50_000)
        }
        throw PipelineFailure("the dropped files were not all downloaded within 5 minutes")
    }

    /// Waits (at most a minute) until `path` has `count` lines, and returns them split at tabs
    /// into log-finished's columns.
    private static func waitForLines(_ path: String, count: Int) throws -> [[String: String]] {
        let deadline = Date().addingTimeInterval(60)
        var lines: [Substring] = []
        while Date() < deadline {
            let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            lines = text.split(separator: "\n")
            if lines.count >= count { break }
            usleep(50_000)
        }
        return lines.map { line in
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
                .map(String.init)
            let names = ["time", "eventType", "taskId", "source"]
            return Dictionary(uniqueKeysWithValues: zip(names, columns))
        }
    }

    private static func readEvents(_ folder: String) throws -> [Event] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
            .filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { name in
            let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
            return try JSONDecoder().decode(Event.self, from: data)
        }
    }

    /// Every task by its source: dropped files by their inbox-relative path, URLs by the
    /// served name.
    private static func tasksBySource(
        home: String
    ) throws -> (dropped: [String: String], urls: [String: String]) {
        let list = try intake(["tasks", "--json", "--limit", "1000", "--home", home])
        let tasks = try JSONDecoder().decode([[String: JSONValue]].self, from: Data(list.utf8))
        var dropped: [String: String] = [:]
        var urls: [String: String] = [:]
        let inbox = "file://" + home + "/inbox/"
        for task in tasks {
            guard let id = task["id"]?.stringValue, let source = task["source"]?.stringValue
            else { continue }
            if source.hasPrefix(inbox) {
                dropped[String(source.dropFirst(inbox.count))] = id
            } else if source.hasPrefix("http://") {
                urls[(source as NSString).lastPathComponent] = id
            } else {
                throw PipelineFailure("a task with an unexpected source: \(source)")
            }
        }
        return (dropped, urls)
    }
}
