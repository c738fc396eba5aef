import Foundation
@testable import IntakeCore
import Testing

@Suite("Plugin runner", .serialized)
struct PluginRunnerTests {
    @Test func aPluginGetsEachMatchingEventOnceInOrderWithTheContractsInvocation() throws {
        let fixture = try PluginFixture()
        let output = fixture.events.folder.file("calls.txt")
        try fixture.install(
            "recorder",
            """
            #!/bin/bash
            # A plugin that records how it was called.
            # intake-events: task.*
            stdin_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["eventId"])')
            echo "$1|$INTAKE_EVENT_FILE|$INTAKE_EVENT_ID|$stdin_id|$INTAKE_EVENT_TYPE|\
            $INTAKE_TASK_ID|$INTAKE_TRACE_ID|$INTAKE_ATTEMPT|$INTAKE_HOME|$#" >> \(output)
            """)
        try fixture.start()
        #expect(fixture.runner.pluginNames == ["recorder"])
        #expect(fixture.subscriber("recorder")?.patterns.map(\.text) == ["task.*"])
        var expected: [EventEnvelope] = []
        for index in 0..<6 {
            let type = index % 3 == 0 ? "image.analyzed" : "task.completed"
            let envelope = try fixture.publish(type, payload: ["n": "\(index)"])
            if type.hasPrefix("task.") { expected.append(envelope) }
        }
        #expect(eventually(20) { fixture.lines("calls.txt").count == expected.count })
        let calls = fixture.lines("calls.txt").map { $0.split(separator: "|").map(String.init) }
        for (call, envelope) in zip(calls, expected) {
            #expect(call[0].contains("/subscribers/recorder/cur/"))
            #expect(call[0].hasSuffix(".\(envelope.eventType).\(envelope.eventID).json"))
            #expect(call[1] == call[0])
            #expect(call[2] == envelope.eventID)
            #expect(call[3] == envelope.eventID)
            #expect(call[4] == envelope.eventType)
            #expect(call[5] == envelope.taskID)
            #expect(call[6] == envelope.traceID)
            #expect(call[7] == "1")
            #expect(call[8] == fixture.home.root)
            #expect(call[9] == "1")
        }
        let subscriber = try #require(fixture.subscriber("recorder"))
        #expect(
            eventually {
                fixture.names(subscriber.new).isEmpty && fixture.names(subscriber.cur).isEmpty
            })
        let stats = PluginStats.load(subscriber)
        #expect(stats.runs == expected.count && stats.failures == 0)
    }

    @Test func misbehavingPluginsEndAsTheContractSaysAndDelayNobodyElse() throws {
        var settings = PluginFixture.testSettings
        settings.timeout = .milliseconds(1000)
        let fixture = try PluginFixture(settings: settings)
        let folder = fixture.events.folder.path
        let scripts: [String: String] = [
            "exits-1": "exit 1",
            "exits-75": "echo 'temporarily unavailable' >&2; exit 75",
            "crashes": "kill -SEGV $$",
            "floods": "head -c 10000000 /dev/zero | tr '\\\\0' 'x'; echo; exit 0",
            "hangs": "echo $$ >> \(folder)/hangs.pids; sleep 1000",
            "ignores-term":
                "echo $$ >> \(folder)/ignores.pids; trap '' TERM; while :; do sleep 0.05; done",
            "forks": "sleep 1000 & echo $! >> \(folder)/forks.pids; exec sleep 1000",
            "leaves-child": "sleep 1000 & echo $! >> \(folder)/leaves.pids; exit 0",
        ]
        for (name, body) in scripts {
            try fixture.install(name, "#!/bin/bash\n# intake-events: task.*\n\(body)\n")
        }
        try fixture.install(
            "steady",
            """
            #!/bin/bash
            # intake-events: task.*
            echo "$INTAKE_EVENT_ID $(date +%s%3N)" >> \(folder)/steady.txt
            """)
        try fixture.start()

        // Events keep arriving while the others fail, hang and retry: the steady plugin must
        // handle each one promptly.
        var published: [(id: String, at: Int64)] = []
        for index in 0..<8 {
            let envelope = try fixture.publish("task.completed", payload: ["n": "\(index)"])
            published.append((envelope.eventID, Clock.nowMillis()))
            #expect(eventually(3) { fixture.lines("steady.txt").count == index + 1 })
            usleep(300_000)
        }
        let handled = Dictionary(
            uniqueKeysWithValues: fixture.lines("steady.txt").map { line in
                let parts = line.split(separator: " ")
                return (String(parts[0]), Int64(parts[1]) ?? 0)
            })
        for event in published {
            let latency = try #require(handled[event.id]) - event.at
            #expect(latency < 2000, "steady plugin waited \(latency) ms")
        }

        // Each misbehaving plugin gives up on all 8 events after 3 attempts, one event at a
        // time: wait for the slowest (timeouts of 1 s + 0.3 s grace).
        let failing: [String: String] = [
            "exits-1": "reason: exit status 1", "exits-75": "reason: exit status 75",
            "crashes": "reason: killed by signal 11 (SIGSEGV)", "hangs": "reason: timed out",
            "ignores-term": "reason: timed out", "forks": "reason: timed out",
        ]
        for (name, reason) in failing {
            let subscriber = try #require(fixture.subscriber(name))
            let done = eventually(60) {
                fixture.names(subscriber.failed).filter { $0.hasSuffix(".json") }.count >= 1
            }
            #expect(done, "\(name) should give up on its first event")
            let first = try #require(
                fixture.names(subscriber.failed).first { $0.hasSuffix(".json") })
            let error = try String(
                contentsOfFile: subscriber.failed + "/" + first + ".error", encoding: .utf8)
            #expect(error.contains(reason), "\(name): \(error)")
            #expect(error.contains("attempts: 3"))
            let object = try fixture.events.object(at: subscriber.failed + "/" + first)
            #expect(object["eventId"] as? String != nil)
        }
        let exits75 = try #require(fixture.subscriber("exits-75"))
        let error75 = try #require(fixture.names(exits75.failed).first { $0.hasSuffix(".error") })
        #expect(
            try String(contentsOfFile: exits75.failed + "/" + error75, encoding: .utf8)
                .contains("temporarily unavailable"))

        // The flood was handled, its output logged within bounds.
        let floods = try #require(fixture.subscriber("floods"))
        #expect(
            eventually(20) {
                fixture.names(floods.new).isEmpty && fixture.names(floods.cur).isEmpty
            })
        #expect(fixture.log.contains("plugin output truncated"))
        let logSize =
            (try? FileManager.default.attributesOfItem(atPath: fixture.logPath)[.size] as? Int) ?? 0
        #expect(logSize < 2_000_000, "log is \(logSize) bytes")

        // A plugin that exits 0 and leaves a child: handled, and the child is gone.
        let leaves = try #require(fixture.subscriber("leaves-child"))
        #expect(
            eventually(20) {
                fixture.names(leaves.new).isEmpty && fixture.names(leaves.cur).isEmpty
            })
        fixture.runner.stop()
        for file in ["hangs.pids", "ignores.pids", "forks.pids", "leaves.pids"] {
            let pids = fixture.lines(file).compactMap { Int32($0) }
            #expect(!pids.isEmpty, "\(file) recorded no process")
            for pid in pids {
                #expect(eventually(5) { !processIsAlive(pid) }, "\(file): process \(pid) lives on")
            }
        }
    }

    @Test func aPluginAddedChangedAndRemovedWhileTheRunnerRuns() throws {
        let fixture = try PluginFixture()
        try fixture.start()
        let output = fixture.events.folder.file("versions.txt")
        try fixture.install(
            "changing", "#!/bin/bash\necho \"v1 $INTAKE_EVENT_TYPE\" >> \(output)\n")
        #expect(eventually { fixture.runner.pluginNames == ["changing"] })
        try fixture.publish("task.completed")
        #expect(eventually { fixture.lines("versions.txt") == ["v1 task.completed"] })

        try fixture.install(
            "changing",
            "#!/bin/bash\n# intake-events: image.*\necho \"v2 $INTAKE_EVENT_TYPE\" >> \(output)\n")
        #expect(eventually { fixture.subscriber("changing")?.patterns.map(\.text) == ["image.*"] })
        try fixture.publish("task.completed")
        try fixture.publish("image.analyzed")
        #expect(
            eventually {
                fixture.lines("versions.txt") == ["v1 task.completed", "v2 image.analyzed"]
            })

        try FileManager.default.removeItem(atPath: fixture.home.plugins + "/changing")
        #expect(eventually { fixture.runner.pluginNames.isEmpty })
        #expect(eventually { fixture.subscriber("changing") == nil })
        try fixture.publish("image.analyzed")
        fixture.relay.drainNow()
        #expect(
            !FileManager.default.fileExists(
                atPath: fixture.spool.subscribersFolder + "/changing/new"))
        #expect(fixture.log.contains("plugin removed"))
    }

    @Test func unsafeOrBadlyNamedPluginsAreRefusedWithALogLine() throws {
        let fixture = try PluginFixture()
        let marker = fixture.events.folder.file("ran.txt")
        let script = "#!/bin/bash\necho ran >> \(marker)\n"
        try fixture.install("world-writable", script, mode: 0o757)
        let groupWritable = try fixture.install("group-writable", script, mode: 0o775)
        // Group-writable is refused unless the group is root's: give it an ordinary group.
        #expect(chown(groupWritable, uid_t.max, 65534) == 0)
        try fixture.install("named.sh", script)
        try fixture.install("fine", script)
        try fixture.start()
        #expect(fixture.runner.pluginNames == ["fine"])
        #expect(fixture.subscriber("world-writable") == nil)
        try fixture.publish("task.completed")
        #expect(eventually { fixture.lines("ran.txt").count == 1 })
        let log = fixture.log
        #expect(log.contains("plugin refused plugin=world-writable"))
        #expect(log.contains("writable by every user"))
        #expect(log.contains("plugin refused plugin=group-writable"))
        #expect(log.contains("plugin refused plugin=named.sh"))

        // Made safe, it is taken up without a restart.
        chmod(fixture.home.plugins + "/world-writable", 0o755)
        #expect(eventually { fixture.runner.pluginNames.contains("world-writable") })
    }

    @Test func aSidecarChoosesTheEventsAndCurGoesBackToNewAtStart() throws {
        let fixture = try PluginFixture()
        let output = fixture.events.folder.file("sidecar.txt")
        try fixture.install("sided", "#!/bin/bash\necho \"$INTAKE_EVENT_TYPE\" >> \(output)\n")
        try Data("# only failures\ntask.failed\n".utf8).write(
            to: URL(fileURLWithPath: fixture.home.plugins + "/sided.events"))
        // A file left in cur/ by a runner that died while handling it.
        let subscriber = try fixture.spool.subscribe(name: "sided", patterns: [.everything])
        let leftover = try EventEnvelope(
            eventType: "task.failed", taskID: "t", traceID: "r", source: "intake/test",
            payload: ["x": "y"])
        try Data(leftover.json.utf8).write(
            to: URL(fileURLWithPath: subscriber.cur + "/000000000000.task.failed.x.json"))
        try fixture.start()
        #expect(fixture.subscriber("sided")?.patterns.map(\.text) == ["task.failed"])
        #expect(eventually { fixture.lines("sidecar.txt") == ["task.failed"] })
        try fixture.publish("task.completed")
        try fixture.publish("task.failed")
        #expect(eventually { fixture.lines("sidecar.txt") == ["task.failed", "task.failed"] })
    }

    @Test func retryMovesFailedEventsBackAndTheyRunAgain() throws {
        var settings = PluginFixture.testSettings
        settings.maxAttempts = 1
        let fixture = try PluginFixture(settings: settings)
        let flag = fixture.events.folder.file("healthy")
        try fixture.install("flaky", "#!/bin/bash\n[ -e \(flag) ] || exit 1\n")
        try fixture.start()
        try fixture.publish("task.completed")
        let subscriber = try #require(fixture.subscriber("flaky"))
        #expect(eventually { fixture.names(subscriber.failed).count == 2 })
        #expect(PluginStats.load(subscriber).lastError?.contains("exit status 1") == true)
        _ = FileManager.default.createFile(atPath: flag, contents: Data())
        #expect(try fixture.spool.retryFailed(name: "flaky") == 1)
        #expect(
            eventually {
                fixture.names(subscriber.new).isEmpty && fixture.names(subscriber.cur).isEmpty
                    && fixture.names(subscriber.failed).isEmpty
            })
    }

    @Test func attemptsAndBackoffOfAWaitingEventSurviveARestart() throws {
        // The first runner's backoff is long, so the event is sure to wait when it stops.
        var settings = PluginFixture.testSettings
        settings.backoffBase = .seconds(600)
        settings.backoffMax = .seconds(600)
        let fixture = try PluginFixture(settings: settings)
        try fixture.installFailing("failing", attempts: "attempts.txt")
        try fixture.start()
        try fixture.publish("task.completed")
        let subscriber = try #require(fixture.subscriber("failing"))
        #expect(
            eventually {
                fixture.lines("attempts.txt") == ["1"] && fixture.names(subscriber.new).count == 1
                    && PluginRetries.load(subscriber).entries.count == 1
            })
        let waiting = try #require(fixture.names(subscriber.new).first)
        let entry = try #require(PluginRetries.load(subscriber).entries[waiting])
        #expect(entry.attempts == 1)
        #expect(entry.dueAt > Clock.nowMillis() + 500_000)
        fixture.runner.stop()
        let report = try #require(
            try SubscriberReport.all(home: fixture.home).first { $0.name == "failing" })
        #expect(report.retrying == 1 && report.nextRetryAt == entry.dueAt)

        // A new runner (a restarted daemon) with short backoffs: the recorded due time is cut
        // to its backoff_max, and the event goes on from attempt 2 to the limit of 3.
        var restarted = PluginFixture.testSettings
        restarted.backoffMax = .milliseconds(100)
        let runner = PluginRunner(
            home: fixture.home, spool: fixture.spool, settings: restarted, logger: .silent)
        try runner.start()
        defer { runner.stop() }
        #expect(eventually(20) { fixture.names(subscriber.failed).count == 2 })
        #expect(fixture.lines("attempts.txt") == ["1", "2", "3"])
        let error = try String(
            contentsOfFile: subscriber.failed + "/" + waiting + ".error", encoding: .utf8)
        #expect(error.contains("attempts: 3"))
        // Removed right after the event moved to failed/.
        #expect(eventually { !FileManager.default.fileExists(atPath: subscriber.retriesFile) })
    }

    @Test func aRetriesFileWithExtremeValuesNeitherCrashesNorStallsTheRunner() throws {
        let fixture = try PluginFixture()
        try fixture.installFailing("extreme", attempts: "extreme.txt")
        let subscriber = try fixture.spool.subscribe(name: "extreme", patterns: [.everything])
        let event = try EventEnvelope(
            eventType: "task.failed", taskID: "t", traceID: "r", source: "intake/test",
            payload: ["x": "y"])
        let names = ["000000000001.task.failed.a.json", "000000000002.task.failed.b.json"]
        for name in names {
            try Data(event.json.utf8).write(to: URL(fileURLWithPath: subscriber.new + "/" + name))
        }
        // Written by hand or by a broken disk: attempts far past the limit or below zero,
        // due times at the ends of the clock.
        let max = Int64.max
        let min = Int64.min
        try Data(
            """
            {"entries": {
              "\(names[0])": {"attempts": 9223372036854775807, "dueAt": \(max)},
              "\(names[1])": {"attempts": -5, "dueAt": \(min)}}}
            """.utf8
        ).write(to: URL(fileURLWithPath: subscriber.retriesFile))
        try fixture.start()
        // The first has used its attempts: one more run, then failed/. The second starts over
        // at attempt 1 and goes through the limit of 3.
        #expect(eventually(20) { fixture.names(subscriber.failed).count == 4 })
        #expect(fixture.lines("extreme.txt") == ["3", "1", "2", "3"])
    }
}
