import Foundation
import Testing
import TestSupport

@testable import IntakeCore

/// The queue engine in a real process, killed with SIGKILL while it works and started again.
@Suite("End to end: queue crash recovery")
struct QueueCrashTests {
    @Test("SIGKILL in the middle of 1,000 tasks, restarted: every task ends exactly once")
    func killAndRestart() throws {
        let folder = TemporaryFolder()
        let path = folder.file("intake.db")
        let arguments = [
            "--db", path, "--tasks", "1000", "--drop-size", "1000", "--concurrency", "4",
        ]
        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for round in 0..<4 {
            let driver = try IntakeProcess(arguments, executable: Paths.queueDriver)
            // Wait until this run has made some progress past the last one, then kill it.
            let target = Int64(round * 250 + Int.random(in: 20..<200, using: &generator))
            let deadline = Date().addingTimeInterval(60)
            var ended = false
            while Date() < deadline {
                if !driver.process.isRunning {
                    ended = true
                    break
                }
                if (try? completedCount(path)) ?? 0 >= target { break }
                usleep(2_000)
            }
            if ended { break }
            driver.send(SIGKILL)
            let result = driver.waitForExit()
            #expect(result.signaled)
            kills += 1
        }
        let final = try IntakeProcess(arguments, executable: Paths.queueDriver).waitForExit(
            timeout: 120)
        #expect(final.status == 0, "\(final.stderr)")
        #expect(kills >= 1)

        let database = try Database(path: path, readOnly: true)
        #expect(try database.scalar("SELECT count(*) FROM tasks") == 1000)
        #expect(
            try database.scalar("SELECT count(*) FROM tasks WHERE state = 'completed'") == 1000)
        let perTask = try database.rows(
            "SELECT t.id, (SELECT count(*) FROM outbox o WHERE o.task_id = t.id AND "
                + "o.event_type IN ('task.completed', 'task.failed')), "
                + "(SELECT group_concat(event_type, ',') FROM (SELECT event_type FROM outbox o "
                + "WHERE o.task_id = t.id ORDER BY seq)) FROM tasks t"
        ) { ($0.text(0), $0.int(1), $0.text(2)) }
        for (id, terminal, sequence) in perTask {
            #expect(terminal == 1, "task \(id) has \(terminal) terminal events")
            #expect(
                sequence == "image.downloaded,image.metadata_extracted,image.analyzed,"
                    + "task.completed", "task \(id): \(sequence)")
        }
        #expect(
            try database.scalar("SELECT count(DISTINCT event_id) FROM outbox") == 4000)
        #expect(
            try database.scalar("SELECT count(*) FROM jobs WHERE state != 'done'") == 0)
    }

    private func completedCount(_ path: String) throws -> Int64 {
        let database = try Database(path: path, readOnly: true)
        return try database.scalar(
            "SELECT count(*) FROM outbox WHERE event_type = 'task.completed'") ?? 0
    }
}
