import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// The whole pipeline with the built binary: the corpus dropped at once, a URL list of copies
/// served on 127.0.0.1, a re-encoded copy, a `*` subscriber and a sample plugin. Every test
/// reads the one run that `PipelineRun.shared` makes (35 to 50 s here in a debug build).
@Suite("End to end: the whole pipeline over the corpus")
struct PipelineEndToEndTests {
    private static let pipeline = [
        "image.downloaded", "image.metadata_extracted", "image.analyzed",
    ]

    private func run() throws -> PipelineRun {
        try PipelineRun.shared.get()
    }

    /// Corpus files by their inbox-relative path, with the re-encoded PNG.
    private func dropped(_ run: PipelineRun) throws -> [(path: String, inspected: String)] {
        try PipelineRun.corpusImages().map { ("corpus/" + $0, $0) }
            + [(PipelineRun.reencodedName, PipelineRun.reencodedName)]
    }

    private func events(of task: String, in run: PipelineRun) -> [PipelineRun.Event] {
        run.events.filter { $0.taskId == task }
    }

    private func event(
        _ type: String, of task: String, in run: PipelineRun
    ) -> PipelineRun.Event? {
        run.events.first { $0.taskId == task && $0.eventType == type }
    }

    @Test("every task ends with exactly one terminal event, its last")
    func oneTerminalEventPerTask() throws {
        let run = try run()
        let files = try dropped(run)
        #expect(run.droppedTasks.count == files.count)
        #expect(Set(run.droppedTasks.keys) == Set(files.map(\.path)))
        #expect(run.urlTasks.count == PipelineRun.servedSources.count)
        for task in Array(run.droppedTasks.values) + Array(run.urlTasks.values) {
            let types = events(of: task, in: run).map(\.eventType)
            #expect(types.filter { $0.hasPrefix("task.") }.count == 1, "\(task): \(types)")
            #expect(types.last?.hasPrefix("task.") == true, "\(task): \(types)")
        }
        let anyFailed = run.events.contains { $0.eventType == "task.failed" }
        #expect(run.waitStatus == (anyFailed ? 1 : 0), "\(run.waitOutput)")
        print("pipeline run: \(files.count) drops and a URL list in \(run.seconds) s")
    }

    @Test("each file ends as intake inspect predicts; broken files fail with its code")
    func terminalEventsAgreeWithInspect() throws {
        let run = try run()
        var broken: [String] = []
        for file in try dropped(run) {
            let inspection = try #require(run.inspections[file.inspected], "\(file.path)")
            let task = try #require(run.droppedTasks[file.path])
            if let code = inspection.errorCode {
                broken.append(file.inspected)
                let failed = event("task.failed", of: task, in: run)
                #expect(failed != nil, "\(file.path) should fail with \(code)")
                guard case .object(let error)? = failed?.payload["error"] else { continue }
                #expect(error["code"]?.stringValue == code, "\(file.path)")
            } else {
                #expect(event("task.completed", of: task, in: run) != nil, "\(file.path)")
            }
        }
        // The corpus has damaged files: a run where none failed would have checked nothing.
        #expect(broken.contains("jpg/corrupted.jpg"), "broken: \(broken)")
    }

    @Test("a task's events come in pipeline order; a duplicate skips metadata and analysis")
    func eventsInPipelineOrder() throws {
        let run = try run()
        for task in Array(run.droppedTasks.values) + Array(run.urlTasks.values) {
            let types = events(of: task, in: run).map(\.eventType)
            let terminal = events(of: task, in: run).last
            var expected: [String]
            switch terminal?.eventType {
            case "task.completed" where terminal?.payload["duplicateOf"] != nil:
                expected = ["image.downloaded", "task.completed"]
            case "task.completed":
                expected = Self.pipeline + ["task.completed"]
            default:
                let stage = terminal?.payload["stage"]?.stringValue ?? ""
                let reached = ["download": 0, "metadata": 1, "analysis": 2][stage] ?? -1
                #expect(reached >= 0, "\(task) failed at stage \(stage)")
                expected = Array(Self.pipeline.prefix(max(reached, 0))) + ["task.failed"]
            }
            #expect(types == expected, "\(task)")
        }
    }

    @Test("one trace id per drop: a file's own, and one for the whole URL list")
    func oneTracePerDrop() throws {
        let run = try run()
        var traceOfTask: [String: String] = [:]
        for task in Array(run.droppedTasks.values) + Array(run.urlTasks.values) {
            let traces = Set(events(of: task, in: run).map(\.traceId))
            #expect(traces.count == 1, "\(task): \(traces)")
            traceOfTask[task] = traces.first
        }
        let droppedTraces = run.droppedTasks.values.compactMap { traceOfTask[$0] }
        #expect(Set(droppedTraces).count == run.droppedTasks.count)
        let listTraces = Set(run.urlTasks.values.compactMap { traceOfTask[$0] })
        #expect(run.urlListTrace.count == 32)
        #expect(listTraces == [run.urlListTrace])
        #expect(!droppedTraces.contains(run.urlListTrace))
    }

    @Test("payloads carry the values intake inspect gives for the same file")
    func payloadsMatchInspect() throws {
        let run = try run()
        var compared = 0
        for file in try dropped(run) {
            let task = try #require(run.droppedTasks[file.path])
            let inspection = try #require(run.inspections[file.inspected])
            guard inspection.errorCode == nil else { continue }
            let metadata = try #require(
                event("image.metadata_extracted", of: task, in: run), "\(file.path)")
            for key in ["sha256", "mimeType", "width", "height", "takenAt", "camera", "gps"] {
                #expect(
                    metadata.payload[key] == inspection.fields[key], "\(file.path): \(key)")
            }
            let analyzed = try #require(event("image.analyzed", of: task, in: run))
            for key in ["sha256", "phash", "dhash"] {
                #expect(analyzed.payload[key] == inspection.fields[key], "\(file.path): \(key)")
            }
            let completed = try #require(event("task.completed", of: task, in: run))
            #expect(completed.payload["sha256"] == inspection.fields["sha256"])
            compared += 1
        }
        // Some values must be there at all, or equal absences would pass.
        let withCamera = run.events.filter {
            $0.eventType == "image.metadata_extracted" && $0.payload["camera"] != nil
                && $0.payload["gps"] != nil && $0.payload["takenAt"] != nil
        }
        #expect(compared >= 90)
        #expect(withCamera.count >= 9)
    }

    @Test("copies downloaded by URL complete as duplicates of the dropped files")
    func urlCopiesAreDuplicates() throws {
        let run = try run()
        for source in PipelineRun.servedSources {
            let name = (source as NSString).lastPathComponent
            let task = try #require(run.urlTasks[name])
            let original = try #require(run.droppedTasks["corpus/" + source])
            let downloaded = event("image.downloaded", of: task, in: run)
            let completed = event("task.completed", of: task, in: run)
            #expect(downloaded?.payload["duplicateOf"] == .string(original), "\(name)")
            #expect(completed?.payload["duplicateOf"] == .string(original), "\(name)")
            #expect(
                completed?.payload["sha256"] == run.inspections[source]?.fields["sha256"],
                "\(name)")
            #expect(
                completed?.payload["source"]?.stringValue?.hasPrefix("http://127.0.0.1:") == true)
        }
    }

    @Test("intake status counts what the spool holds")
    func statusAgreesWithSpool() throws {
        let run = try run()
        guard case .object(let tasks)? = run.status["tasks"] else {
            Issue.record("no tasks in status: \(run.status)")
            return
        }
        let completed = run.events.filter { $0.eventType == "task.completed" }.count
        let failed = run.events.filter { $0.eventType == "task.failed" }.count
        #expect(tasks["completed"] == .int(Int64(completed)))
        #expect(tasks["failed"] == .int(Int64(failed)))
        #expect(completed + failed == run.droppedTasks.count + run.urlTasks.count)
        for state in ["queued", "running", "retrying"] {
            #expect(tasks[state] == .int(0), "\(state)")
        }
    }

    @Test("intake similar finds the file itself at distance 0, then its PNG re-encoding")
    func similarFindsTheReencodedCopy() throws {
        let run = try run()
        let original = try #require(run.inspections[PipelineRun.reencodedSource])
        let copy = try #require(run.inspections[PipelineRun.reencodedName])
        #expect(run.similar.count >= 2)
        guard run.similar.count >= 2 else { return }
        #expect(run.similar[0]["sha256"] == original.fields["sha256"])
        #expect(run.similar[0]["phashDistance"] == .int(0))
        #expect(run.similar[1]["sha256"] == copy.fields["sha256"])
        #expect(copy.fields["sha256"] != original.fields["sha256"])
        guard case .int(let distance)? = run.similar[1]["phashDistance"] else {
            Issue.record("no distance: \(run.similar[1])")
            return
        }
        #expect(distance <= 8)
    }

    @Test("the sample plugin log-finished writes one line per finished task")
    func samplePluginLogsEveryFinishedTask() throws {
        let run = try run()
        let terminal = run.events.filter { $0.eventType.hasPrefix("task.") }
        let expected = Set(
            terminal.map {
                [$0.eventType, $0.taskId ?? "", $0.payload["source"]?.stringValue ?? ""]
            })
        let logged = run.finishedLog.map {
            [$0["eventType"] ?? "", $0["taskId"] ?? "", $0["source"] ?? ""]
        }
        #expect(logged.count == terminal.count)
        #expect(Set(logged) == expected)
        #expect(run.finishedLog.allSatisfy { $0["time"]?.hasSuffix("Z") == true })
    }
}
