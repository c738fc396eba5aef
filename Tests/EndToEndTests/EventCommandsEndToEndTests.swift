import Foundation
import IntakeCore
import Testing
import TestSupport

@Suite("events, plugins, subscribe and unsubscribe commands")
struct EventCommandsEndToEndTests {
    @Test func subscribeListRetryAndUnsubscribe() throws {
        let folder = TemporaryFolder()
        let home = ["--home", folder.path]
        let refused = try IntakeProcess.run(["subscribe", "../escape", "*"] + home)
        #expect(refused.status == 64)
        #expect(refused.stderr.contains("not usable"))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/spool/escape"))

        let made = try IntakeProcess.run(["subscribe", "watcher", "image.*", "task.failed"] + home)
        #expect(made.status == 0)
        let failed = folder.path + "/spool/subscribers/watcher/failed/"
        try folder.write("spool/subscribers/watcher/failed/000000000001.task.failed.e.json", "{}")
        try folder.write(
            "spool/subscribers/watcher/failed/000000000001.task.failed.e.json.error", "exit 1")
        let listed = try IntakeProcess.run(["plugins", "--json"] + home)
        #expect(listed.status == 0)
        let reports =
            try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8))
            as? [[String: Any]]
        #expect(reports?.first?["name"] as? String == "watcher")
        #expect(reports?.first?["kind"] as? String == "external")
        #expect(reports?.first?["failed"] as? Int == 1)
        #expect(reports?.first?["patterns"] as? [String] == ["image.*", "task.failed"])

        let retried = try IntakeProcess.run(["plugins", "retry", "watcher"] + home)
        #expect(retried.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: failed).isEmpty)

        #expect(try IntakeProcess.run(["unsubscribe", "watcher"] + home).status == 0)
        #expect(try IntakeProcess.run(["unsubscribe", "watcher"] + home).status == 1)
    }

    @Test func eventsFiltersAndPrintsEnvelopesAsJSONLines() throws {
        let folder = TemporaryFolder()
        let home = Home(root: folder.path)
        try home.createLayout(folderMode: 0o700)
        let database = try Database(path: home.database)
        try Schema.apply(to: database)
        var envelopes: [EventEnvelope] = []
        for type in ["image.downloaded", "task.completed", "task.failed"] {
            let envelope = try EventEnvelope(
                eventType: type, taskID: "task-1", traceID: "trace-1", source: "intake/test",
                payload: ["k": "v"])
            try Outbox.append(envelope, to: database)
            envelopes.append(envelope)
        }
        let result = try IntakeProcess.run(
            ["events", "--home", folder.path, "--type", "task.*", "--json", "--since", "1h"])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines == [envelopes[1].json, envelopes[2].json])
        let text = try IntakeProcess.run(["events", "--home", folder.path, "--limit", "1"])
        #expect(text.stdout.contains("task.failed"))
        #expect(!text.stdout.contains("image.downloaded"))
    }
}
