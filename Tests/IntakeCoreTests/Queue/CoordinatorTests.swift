import Foundation
import Testing

@testable import IntakeCore

@Suite("Coordinator and queues")
struct CoordinatorTests {
    @Test("a task goes through the three stages with its events in order, once each")
    func happyPath() throws {
        let fixture = try QueueFixture()
        let drop = try fixture.drop(["https://example.com/a.jpg"])
        let id = try #require(drop.taskIDs.first)
        var now: Int64 = 2_000
        for stage in TaskStage.queued {
            let jobs = try fixture.claim(stage, now: now)
            #expect(jobs.count == 1)
            #expect(jobs.first?.attempt == 1)
            #expect(try fixture.task(id).state == "running")
            #expect(
                try fixture.finish(
                    jobs[0], QueueFixture.success(stage, sha256: "ab"), now: now + 10))
            now += 100
        }
        #expect(try fixture.task(id).stage == "done")
        #expect(try fixture.task(id).state == "completed")
        let events = try fixture.events(of: id)
        #expect(
            events.map(\.eventType) == [
                "image.downloaded", "image.metadata_extracted", "image.analyzed", "task.completed",
            ])
        #expect(Set(events.map(\.traceId)) == [drop.traceID])
        #expect(events.map(\.eventId) == events.map(\.eventId).sorted())
        let completed = try #require(events.last)
        #expect(completed.payload["source"] == "https://example.com/a.jpg")
        #expect(completed.payload["sha256"] == "ab")
        #expect(completed.payload["durationMs"] == .int(2_210 - 1_000))
        #expect(completed.source == "intake/coordinator")
        #expect(events.first?.source == "intake/download")
        let timeline = try fixture.database.rows(
            "SELECT to_stage || '/' || to_state || '@' || at FROM transitions WHERE task_id = ?1 "
                + "ORDER BY id", [.text(id)]
        ) { $0.text(0) }
        #expect(
            timeline == [
                "download/queued@1000", "download/running@2000", "metadata/queued@2010",
                "metadata/running@2100", "analysis/queued@2110", "analysis/running@2200",
                "done/completed@2210",
            ])
        #expect(try fixture.claim(.download).isEmpty)
    }

    @Test("claims take priority first, then the earliest due time, then arrival")
    func claimOrder() throws {
        let fixture = try QueueFixture()
        let low = try fixture.drop(["u:low-1", "u:low-2"], priority: 0, now: 100).taskIDs
        let high = try fixture.drop(["u:high"], priority: 5, now: 300).taskIDs
        let early = try fixture.drop(["u:early"], priority: 0, now: 50).taskIDs
        let order = try fixture.claim(.download, limit: 10, now: 1_000).sorted {
            $0.jobID < $1.jobID
        }
        #expect(order.count == 4)
        let claimedFirst = try fixture.database.rows(
            "SELECT task_id FROM jobs WHERE queue = 'download' ORDER BY priority DESC, due_at, id"
        ) { $0.text(0) }
        #expect(claimedFirst == high + early + low)
        // One at a time, the claim hands them out in that order.
        let fresh = try QueueFixture()
        let a = try fresh.drop(["a"], priority: 0, now: 100).taskIDs
        let b = try fresh.drop(["b"], priority: 0, now: 100).taskIDs
        let c = try fresh.drop(["c"], priority: 9, now: 200).taskIDs
        let d = try fresh.drop(["d"], priority: 0, now: 50).taskIDs
        var seen: [String] = []
        for _ in 0..<4 {
            seen += try fresh.claim(.download, limit: 1, now: 1_000).map(\.taskID)
        }
        #expect(seen == c + d + a + b)
    }

    @Test("jobs not yet due are not claimed")
    func notDue() throws {
        let fixture = try QueueFixture()
        try fixture.drop(["u"], now: 5_000)
        #expect(try fixture.claim(.download, now: 4_999).isEmpty)
        #expect(try fixture.claim(.download, now: 5_000).count == 1)
    }

    @Test("the claim walks the partial index in order: no temporary sort, whatever is finished")
    func claimPlan() throws {
        let fixture = try QueueFixture()
        try fixture.database.transaction {
            for index in 0..<10_000 {
                try fixture.database.run(
                    "INSERT INTO drops (trace_id, origin, kind, created_at) VALUES (?1, 'x', "
                        + "'x', 0)", [.text("t\(index)")])
                try fixture.database.run(
                    "INSERT INTO tasks (id, drop_id, trace_id, source, stage, state, created_at, "
                        + "updated_at) VALUES (?1, last_insert_rowid(), 't', 's', 'done', "
                        + "'completed', 0, 0)", [.text("task\(index)")])
                try fixture.database.run(
                    "INSERT INTO jobs (task_id, queue, state, due_at, created_at) VALUES "
                        + "(?1, 'download', 'done', 0, 0)", [.text("task\(index)")])
            }
        }
        try fixture.database.execute("ANALYZE")
        let inner = Coordinator.claimSQL.components(separatedBy: "WHERE id IN (")[1]
            .components(separatedBy: ")\n")[0]
        let plan = try fixture.database.rows(
            "EXPLAIN QUERY PLAN " + inner,
            [.text("download"), .integer(0), .integer(10)]
        ) { $0.text(3) }
        #expect(plan.contains { $0.contains("USING INDEX jobs_ready") }, "\(plan)")
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        let whole = try fixture.database.rows(
            "EXPLAIN QUERY PLAN " + Coordinator.claimSQL,
            [.text("o"), .integer(0), .text("download"), .integer(0), .integer(10)]
        ) { $0.text(3) }
        #expect(!whole.contains { $0.contains("TEMP B-TREE") }, "\(whole)")
        #expect(!whole.contains { $0 == "SCAN jobs" }, "\(whole)")
    }

    @Test("a transient failure is retried after a backoff, then succeeds")
    func transientRetry() throws {
        let fixture = try QueueFixture()
        let id = try #require(try fixture.drop(["u"]).taskIDs.first)
        let job = try #require(try fixture.claim(.download, now: 2_000).first)
        #expect(try fixture.finish(job, .failed(.transient("http_503", "busy")), now: 3_000))
        #expect(try fixture.task(id) == ("download", "retrying", 1))
        #expect(
            try fixture.database.scalar(
                "SELECT count(*) FROM tasks WHERE error_code = 'http_503'") == 1)
        let due = try #require(
            try fixture.database.scalar(
                "SELECT due_at FROM jobs WHERE id = ?1", [.integer(job.jobID)]))
        #expect(due >= 3_000 && due <= 4_000)
        #expect(try fixture.claim(.download, now: due - 1).isEmpty)
        let second = try #require(try fixture.claim(.download, now: due).first)
        #expect(second.attempt == 2)
        #expect(try fixture.finish(second, QueueFixture.success(.download), now: due + 1))
        #expect(try fixture.task(id).stage == "metadata")
        #expect(try fixture.events(of: id).map(\.eventType) == ["image.downloaded"])
    }

    @Test("Retry-After sets the earliest retry even beyond the backoff")
    func retryAfter() throws {
        let fixture = try QueueFixture()
        try fixture.drop(["u"])
        let job = try #require(try fixture.claim(.download, now: 2_000).first)
        let later: Int64 = 2_000 + 3_600_000
        try fixture.finish(
            job, .failed(.transient("http_429", "slow down", retryAfterMillis: later)), now: 2_500)
        #expect(try fixture.database.scalar("SELECT due_at FROM jobs") == later)
        #expect(try fixture.coordinator.nextWakeup(.download) == later)
        #expect(try fixture.claim(.download, now: later - 1).isEmpty)
        #expect(try fixture.claim(.download, now: later).count == 1)
    }

    @Test("the next wake-up of a queue includes a job that came due after the last claim")
    func wakeupForJobAlreadyDue() throws {
        let fixture = try QueueFixture()
        try fixture.drop(["u:first"], now: 1_000)
        // A claim at 900 finds nothing; by the time the dispatcher asks when to wake, the job
        // (due at 1,000) is already due: the answer must be that time, not "never".
        #expect(try fixture.claim(.download, now: 900).isEmpty)
        #expect(try fixture.coordinator.nextWakeup(.download) == 1_000)
        #expect(try fixture.claim(.download, now: 1_000).count == 1)
        #expect(try fixture.coordinator.nextWakeup(.download) != nil, "the lease's expiry")
    }

    @Test("a permanent failure fails the task at once with one task.failed event")
    func permanentFailure() throws {
        let fixture = try QueueFixture()
        let id = try #require(try fixture.drop(["https://x/404"]).taskIDs.first)
        let job = try #require(try fixture.claim(.download).first)
        try fixture.finish(job, .failed(.permanent("http_404", "https://x/404 answered 404")))
        #expect(try fixture.task(id) == ("download", "failed", 1))
        let events = try fixture.events(of: id)
        #expect(events.map(\.eventType) == ["task.failed"])
        let payload = try #require(events.first?.payload)
        #expect(payload["stage"] == "download")
        #expect(payload["attempts"] == 1)
        #expect(payload["source"] == "https://x/404")
        #expect(payload["error"]?["code"] == "http_404")
        #expect(payload["error"]?["message"] == "https://x/404 answered 404")
    }

    @Test("transient failures use up the stage's attempts, then fail for good")
    func attemptsUsedUp() throws {
        let fixture = try QueueFixture(
            settings: QueueSettings(maxAttempts: [.download: 3], backoffBaseMillis: 0))
        let id = try #require(try fixture.drop(["u"]).taskIDs.first)
        var now: Int64 = 2_000
        for attempt in 1...3 {
            let job = try #require(try fixture.claim(.download, now: now).first)
            #expect(job.attempt == attempt)
            try fixture.finish(job, .failed(.transient("timeout", "slow")), now: now)
            now += 10
        }
        #expect(try fixture.task(id) == ("download", "failed", 3))
        let failed = try #require(try fixture.events(of: id).first)
        #expect(failed.payload["error"]?["message"] == "slow (gave up after 3 attempts)")
        #expect(try fixture.claim(.download, now: now + 10_000).isEmpty)
    }

    @Test("tasks that fail at recording get their task.failed event and no job")
    func failAtOnce() throws {
        let fixture = try QueueFixture()
        let drop = try fixture.database.transaction {
            try fixture.coordinator.record(
                NewDrop(
                    origin: "list.txt", kind: "url_list", workPath: nil,
                    tasks: [
                        .init(source: "https://ok/a.jpg"),
                        .init(
                            source: "ftp://nope",
                            failure: .permanent("invalid_url", "line 2: ftp://nope")),
                    ]))
        }
        #expect(try fixture.task(drop.taskIDs[1]).state == "failed")
        #expect(try fixture.events(of: drop.taskIDs[1]).map(\.eventType) == ["task.failed"])
        #expect(try fixture.database.scalar("SELECT count(*) FROM jobs") == 1)
    }

    @Test("an expired lease is taken over; the old owner's late result is dropped")
    func leaseTakeover() throws {
        let fixture = try QueueFixture(settings: QueueSettings(leaseMillis: 1_000))
        let id = try #require(try fixture.drop(["u"]).taskIDs.first)
        let stale = try #require(try fixture.claim(.download, owner: "a", now: 2_000).first)
        #expect(stale.leaseExpiresAt == 3_000)
        #expect(
            try fixture.database.transaction {
                try fixture.coordinator.recoverLeases(everyLease: false, now: 2_999).handled
            } == 0)
        #expect(
            try fixture.database.transaction {
                try fixture.coordinator.recoverLeases(everyLease: false, now: 3_000).handled
            } == 1)
        #expect(try fixture.task(id).state == "queued")
        let fresh = try #require(try fixture.claim(.download, owner: "b", now: 3_100).first)
        #expect(fresh.attempt == 2)
        #expect(!(try fixture.finish(stale, QueueFixture.success(.download), now: 3_200)))
        #expect(try fixture.finish(fresh, QueueFixture.success(.download), now: 3_300))
        #expect(!(try fixture.finish(fresh, QueueFixture.success(.download), now: 3_400)))
        #expect(try fixture.events(of: id).map(\.eventType) == ["image.downloaded"])
    }

    @Test("a released job goes back without using an attempt")
    func release() throws {
        let fixture = try QueueFixture()
        let id = try #require(try fixture.drop(["u"]).taskIDs.first)
        let job = try #require(try fixture.claim(.download).first)
        #expect(try fixture.database.transaction { try fixture.coordinator.release(job) })
        #expect(try fixture.task(id) == ("download", "queued", 0))
        #expect(try fixture.claim(.download).first?.attempt == 1)
    }

    @Test("at start every lease of the previous run goes back; a job interrupted too often fails")
    func recoverAtStart() throws {
        let fixture = try QueueFixture(
            settings: QueueSettings(maxAttempts: [.download: 2], leaseMillis: 3_600_000))
        let ids = try fixture.drop(["a", "b"]).taskIDs
        _ = try fixture.claim(.download, limit: 2)
        #expect(
            try fixture.database.transaction {
                try fixture.coordinator.recoverLeases(everyLease: true).handled
            } == 2)
        #expect(try ids.map { try fixture.task($0).state } == ["queued", "queued"])
        let again = try fixture.claim(.download, limit: 2)
        #expect(again.map(\.attempt) == [2, 2])
        try fixture.database.transaction {
            _ = try fixture.coordinator.recoverLeases(everyLease: true).handled
        }
        #expect(try ids.map { try fixture.task($0).state } == ["failed", "failed"])
        let events = try fixture.events(of: ids[0])
        #expect(events.map(\.eventType) == ["task.failed"])
        #expect(events.first?.payload["error"]?["code"] == "interrupted")
    }

    @Test("retry puts a failed task back into the stage where it failed, with fresh attempts")
    func retryFailed() throws {
        let fixture = try QueueFixture()
        let id = try #require(try fixture.drop(["u"]).taskIDs.first)
        try fixture.finish(
            try #require(try fixture.claim(.download).first), QueueFixture.success(.download))
        let job = try #require(try fixture.claim(.metadata, now: 3_000).first)
        try fixture.finish(job, .failed(.permanent("corrupt_image", "bad")), now: 4_000)
        #expect(try fixture.coordinator.failedTaskIDs() == [id])
        let retried = try fixture.database.transaction {
            try fixture.coordinator.retry(taskIDs: [id], now: 5_000)
        }
        #expect(retried == [id])
        #expect(try fixture.task(id) == ("metadata", "queued", 0))
        let again = try #require(try fixture.claim(.metadata, now: 5_001).first)
        #expect(again.attempt == 1)
        #expect(again.taskID == id)
        try fixture.finish(again, QueueFixture.success(.metadata), now: 5_002)
        try fixture.finish(
            try #require(try fixture.claim(.analysis, now: 5_003).first),
            QueueFixture.success(.analysis), now: 5_004)
        #expect(
            try fixture.events(of: id).map(\.eventType) == [
                "image.downloaded", "task.failed", "image.metadata_extracted", "image.analyzed",
                "task.completed",
            ])
        #expect(
            try fixture.database.transaction {
                try fixture.coordinator.retry(taskIDs: [id])
            }.isEmpty)
        #expect(throws: CoordinatorError.self) {
            try fixture.database.transaction { try fixture.coordinator.retry(taskIDs: ["nope"]) }
        }
    }

    @Test("a duplicate that is skipped completes right after its download")
    func finishedEarly() throws {
        let fixture = try QueueFixture()
        let id = try #require(try fixture.drop(["u"]).taskIDs.first)
        let job = try #require(try fixture.claim(.download).first)
        try fixture.finish(
            job,
            .succeeded(
                StageResult(
                    payload: ["duplicateOf": "first"], sha256: "cd", storePath: "/s/cd.jpg",
                    duplicateOf: "first", finishesTask: true)))
        #expect(try fixture.task(id) == ("done", "completed", 0))
        let events = try fixture.events(of: id)
        #expect(events.map(\.eventType) == ["image.downloaded", "task.completed"])
        #expect(events.last?.payload["duplicateOf"] == "first")
        #expect(events.last?.payload["storePath"] == "/s/cd.jpg")
        #expect(try fixture.claim(.metadata).isEmpty)
    }

    @Test(
        "the outbox row commits with its state change and never without it",
        arguments: ["outbox", "tasks"])
    func atomicWithOutbox(_ failingTable: String) throws {
        let fixture = try QueueFixture()
        let id = try #require(try fixture.drop(["u"]).taskIDs.first)
        let job = try #require(try fixture.claim(.download).first)
        let trigger =
            failingTable == "outbox"
            ? "CREATE TRIGGER inject BEFORE INSERT ON outbox BEGIN "
                + "SELECT RAISE(ABORT, 'injected failure'); END"
            : "CREATE TRIGGER inject BEFORE UPDATE OF stage ON tasks BEGIN "
                + "SELECT RAISE(ABORT, 'injected failure'); END"
        try fixture.database.execute(trigger)
        #expect(throws: DatabaseError.self) {
            try fixture.finish(job, QueueFixture.success(.download))
        }
        #expect(try fixture.task(id) == ("download", "running", 1))
        #expect(try fixture.events(of: id).isEmpty)
        #expect(
            try fixture.database.scalar("SELECT count(*) FROM jobs WHERE queue='metadata'") == 0)
        try fixture.database.execute("DROP TRIGGER inject")
        #expect(try fixture.finish(job, QueueFixture.success(.download)))
        #expect(try fixture.events(of: id).map(\.eventType) == ["image.downloaded"])
    }

    @Test("the counters kept by triggers agree with the tasks and jobs tables")
    func counters() throws {
        let fixture = try QueueFixture()
        let ids = try fixture.drop(["a", "b", "c"]).taskIDs
        let jobs = try fixture.claim(.download, limit: 2)
        try fixture.finish(jobs[0], QueueFixture.success(.download))
        try fixture.finish(jobs[1], .failed(.permanent("http_404", "gone")))
        try fixture.database.transaction { _ = try fixture.coordinator.retry(taskIDs: [ids[1]]) }
        let counted = try fixture.database.rows(
            "SELECT stage || '/' || state, count FROM task_counts WHERE count > 0 ORDER BY 1"
        ) { "\($0.text(0))=\($0.int(1))" }
        let actual = try fixture.database.rows(
            "SELECT stage || '/' || state, count(*) FROM tasks GROUP BY 1 ORDER BY 1"
        ) { "\($0.text(0))=\($0.int(1))" }
        #expect(counted == actual)
        #expect(actual == ["download/queued=2", "metadata/queued=1"])
        #expect(try fixture.database.scalar("SELECT count(*) FROM task_counts") == 20)
    }

    @Test("backoff stays within full-jitter bounds and grows to the cap")
    func backoffBounds() {
        let settings = QueueSettings(backoffBaseMillis: 100, backoffCapMillis: 5_000)
        var generator = SystemRandomNumberGenerator()
        for attempt in 1...12 {
            let ceiling = min(5_000, 100 << Int64(attempt - 1))
            var largest: Int64 = 0
            for _ in 0..<400 {
                let delay = settings.backoffMillis(afterAttempt: attempt, using: &generator)
                #expect(delay >= 0 && delay <= ceiling)
                largest = max(largest, delay)
            }
            #expect(largest > ceiling / 2, "attempt \(attempt) never came near \(ceiling)")
        }
    }
}

@Suite("Coordinator: duplicates")
struct DuplicateTests {
    @Test(
        "content already held by an earlier task: skip completes at once, reprocess goes on",
        arguments: [Configuration.Store.Duplicates.skip, .reprocess])
    func duplicates(_ policy: Configuration.Store.Duplicates) throws {
        let fixture = try QueueFixture(settings: QueueSettings(duplicates: policy))
        let ids = try fixture.drop(["a", "b", "c"]).taskIDs
        let jobs = try fixture.claim(.download, limit: 3)
        #expect(try fixture.finish(jobs[0], QueueFixture.success(.download, sha256: "same")))
        #expect(try fixture.finish(jobs[1], .failed(.permanent("http_404", "gone"))))
        #expect(try fixture.finish(jobs[2], QueueFixture.success(.download, sha256: "same")))
        let events = try fixture.events(of: ids[2])
        #expect(events.first?.payload["duplicateOf"] == .string(ids[0]))
        #expect(try fixture.events(of: ids[0]).first?.payload["duplicateOf"] == nil)
        switch policy {
        case .skip:
            #expect(events.map(\.eventType) == ["image.downloaded", "task.completed"])
            #expect(events.last?.payload["duplicateOf"] == .string(ids[0]))
            #expect(try fixture.task(ids[2]).stage == "done")
        case .reprocess:
            #expect(events.map(\.eventType) == ["image.downloaded"])
            #expect(try fixture.task(ids[2]) == ("metadata", "queued", 0))
        }
    }
}
