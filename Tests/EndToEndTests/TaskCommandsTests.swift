import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// `status`, `tasks`, `show` and `retry` run as a user runs them, on a database the coordinator
/// filled: one task completed, one failed at download, one retrying, one queued.
@Suite("End to end: task commands")
struct TaskCommandsTests {
    final class Seeded {
        let folder = TemporaryFolder()
        let home: String
        var ids: [String] = []
        var trace = ""

        init() throws {
            home = folder.file("home")
            try Home(root: home).createLayout(folderMode: 0o700)
            let database = try Database(path: home + "/intake.db")
            try Schema.apply(to: database)
            let coordinator = Coordinator(database: database, settings: QueueSettings())
            let drop = try database.transaction {
                try coordinator.record(
                    NewDrop(
                        origin: "/in/list.txt", kind: "url_list", workPath: nil,
                        tasks: [
                            "https://a/1.jpg", "https://a/2.jpg", "https://a/3.jpg",
                            "https://a/4.jpg",
                        ].map { NewDrop.Task(source: $0) }))
            }
            ids = drop.taskIDs
            trace = drop.traceID
            try database.transaction {
                let jobs = try coordinator.claim(.download, owner: "t", limit: 3)
                try coordinator.finish(
                    jobs[0], .succeeded(StageResult(payload: [:], sha256: "aa", storePath: "/s")))
                try coordinator.finish(
                    jobs[1], .failed(.permanent("http_404", "https://a/2.jpg answered 404")))
                try coordinator.finish(jobs[2], .failed(.transient("timeout", "slow server")))
                for stage in [TaskStage.metadata, .analysis] {
                    let next = try coordinator.claim(stage, owner: "t", limit: 1)
                    try coordinator.finish(next[0], .succeeded(StageResult(payload: [:])))
                }
            }
        }

        func run(_ arguments: [String]) throws -> IntakeProcess.Result {
            try IntakeProcess.run(arguments + ["--home", home])
        }
    }

    @Test("status counts tasks by state and shows queues and recent failures")
    func status() throws {
        let seeded = try Seeded()
        let result = try seeded.run(["status", "--json"])
        #expect(result.status == 0)
        let document = try #require(
            JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let tasks = try #require(document["tasks"] as? [String: Int])
        #expect(tasks == ["queued": 1, "running": 0, "retrying": 1, "completed": 1, "failed": 1])
        let queues = try #require(document["queues"] as? [String: [String: Int]])
        #expect(queues["download"] == ["ready": 1, "running": 0, "retrying": 1, "failed": 1])
        #expect(queues["metadata"] == ["ready": 0, "running": 0, "retrying": 0, "failed": 0])
        let failures = try #require(document["recentFailures"] as? [[String: Any]])
        #expect(failures.count == 1)
        #expect((failures.first?["error"] as? [String: String])?["code"] == "http_404")
        #expect((document["lastHour"] as? [String: Int])?["completed"] == 1)
        #expect((document["daemon"] as? [String: Any])?["running"] as? Bool == false)
        #expect(document["subscribers"] is [Any])

        let text = try seeded.run(["status"])
        #expect(
            text.stdout.contains("tasks     1 queued, 0 running, 1 retrying, 1 completed, 1 failed")
        )
        #expect(text.stdout.contains("download        1        0         1       1"))
        #expect(text.stdout.contains("http_404: https://a/2.jpg answered 404"))
    }

    @Test("tasks filters by state, stage and trace, newest first, with errors in JSON")
    func tasks() throws {
        let seeded = try Seeded()
        let failed = try seeded.run(["tasks", "--state", "failed", "--json"])
        #expect(failed.status == 0)
        let list = try #require(
            JSONSerialization.jsonObject(with: Data(failed.stdout.utf8)) as? [[String: Any]])
        #expect(list.count == 1)
        #expect(list.first?["id"] as? String == seeded.ids[1])
        #expect(list.first?["traceId"] as? String == seeded.trace)
        #expect(list.first?["source"] as? String == "https://a/2.jpg")
        #expect(list.first?["stage"] as? String == "download")
        #expect(list.first?["state"] as? String == "failed")
        #expect((list.first?["error"] as? [String: String])?["code"] == "http_404")

        let all = try seeded.run(["tasks", "--trace", seeded.trace, "--json"])
        let everything = try #require(
            JSONSerialization.jsonObject(with: Data(all.stdout.utf8)) as? [[String: Any]])
        #expect(everything.compactMap { $0["id"] as? String } == seeded.ids.reversed())
        let done = try seeded.run(["tasks", "--stage", "done"])
        #expect(done.stdout.split(separator: "\n").count == 1)
        #expect(done.stdout.contains("\(seeded.ids[0])  done/completed  https://a/1.jpg"))
        let limited = try seeded.run(["tasks", "--limit", "2"])
        #expect(limited.stdout.split(separator: "\n").count == 2)
        #expect(try seeded.run(["tasks", "--state", "lost"]).status == 64)
        #expect(try seeded.run(["tasks", "--limit", "0"]).status == 64)
    }

    @Test("show prints the timeline and events of a task found by a unique prefix")
    func show() throws {
        let seeded = try Seeded()
        let prefix = String(seeded.ids[0].prefix(13))
        let matches = seeded.ids.filter { $0.hasPrefix(prefix) }
        let id = matches.count == 1 ? prefix : seeded.ids[0]
        let text = try seeded.run(["show", id])
        #expect(text.status == 0)
        #expect(text.stdout.contains("task      \(seeded.ids[0])"))
        #expect(text.stdout.contains("state     done/completed"))
        for step in ["download/queued", "download/running", "metadata/queued", "done/completed"] {
            #expect(text.stdout.contains(step), "\(step)")
        }
        for event in [
            "image.downloaded", "image.metadata_extracted", "image.analyzed",
            "task.completed",
        ] {
            #expect(text.stdout.contains(event), "\(event)")
        }
        let json = try seeded.run(["show", seeded.ids[1], "--json"])
        let document = try #require(
            JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let events = try #require(document["events"] as? [[String: Any]])
        #expect(events.compactMap { $0["eventType"] as? String } == ["task.failed"])
        let unknown = try seeded.run(["show", "0000000-not-a-task"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no task has the id 0000000-not-a-task"))
        #expect(try seeded.run(["show"]).status == 64)
    }

    @Test("retry puts a failed task back with the same id; --all-failed takes them all")
    func retry() throws {
        let seeded = try Seeded()
        let result = try seeded.run(["retry", seeded.ids[1], seeded.ids[0]])
        #expect(result.status == 0)
        #expect(
            result.stdout == "retried \(seeded.ids[1])\nskipped \(seeded.ids[0]) (not failed)\n")
        let after = try seeded.run(["tasks", "--state", "queued", "--json"])
        let queued = try #require(
            JSONSerialization.jsonObject(with: Data(after.stdout.utf8)) as? [[String: Any]])
        #expect(Set(queued.compactMap { $0["id"] as? String }) == [seeded.ids[1], seeded.ids[3]])
        let none = try seeded.run(["retry", "--all-failed"])
        #expect(none.stdout == "no failed tasks\n")
        #expect(try seeded.run(["retry"]).status == 64)
        #expect(try seeded.run(["retry", "--all-failed", seeded.ids[0]]).status == 64)
        let unknown = try seeded.run(["retry", "nope-nope-nope"])
        #expect(unknown.status == 1)
    }

    @Test("read-only commands work on a home without a database")
    func emptyHome() throws {
        let folder = TemporaryFolder()
        let status = try IntakeProcess.run(["status", "--home", folder.path, "--json"])
        #expect(status.status == 0)
        let tasks = try IntakeProcess.run(["tasks", "--home", folder.path, "--json"])
        #expect(tasks.status == 0)
        #expect(
            tasks.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]"
                || tasks.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]")
    }
}
