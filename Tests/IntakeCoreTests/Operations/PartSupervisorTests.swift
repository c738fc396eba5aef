import Foundation
import Synchronization
import Testing

@testable import IntakeCore

@Suite("Part supervisor")
struct PartSupervisorTests {
    static let quick = PartSupervisor.Policy(
        firstDelay: .milliseconds(10), longestDelay: .milliseconds(40),
        healthyAfter: .seconds(60), giveUpAfter: 4)

    @Test("the delay doubles from the first one and stops at the longest")
    func backoff() {
        let policy = PartSupervisor.Policy()
        let delays = (1...9).map { policy.delay(afterFailures: $0) }
        #expect(
            delays == [1, 2, 4, 8, 16, 32, 60, 60, 60].map { Duration.seconds($0) })
    }

    @Test("a part that fails is logged and started again until it runs; then cancel stops it")
    func restarts() async throws {
        let log = CapturedLog()
        let starts = Atomic<Int>(0)
        let restartsPrepared = Atomic<Int>(0)
        let supervisor = PartSupervisor(
            name: "inbox", policy: Self.quick, logger: log.logger,
            beforeRestart: { restartsPrepared.add(1, ordering: .relaxed) })
        let running = Task {
            try await supervisor.run {
                let start = starts.add(1, ordering: .relaxed).newValue
                if start <= 2 {
                    throw InboxError.system(function: "poll", path: "/srv/inbox", errno: EBADF)
                }
                // The third start works until it is cancelled.
                while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
            }
        }
        while starts.load(ordering: .relaxed) < 3 { try await Task.sleep(for: .milliseconds(5)) }
        running.cancel()
        try await running.value
        #expect(starts.load(ordering: .relaxed) == 3)
        #expect(restartsPrepared.load(ordering: .relaxed) == 2)
        let text = log.text
        #expect(text.components(separatedBy: "part failed; restarting it").count - 1 == 2)
        #expect(text.contains("part=inbox failures=2"), "\(text)")
        #expect(text.contains("poll /srv/inbox"), "\(text)")
        #expect(text.components(separatedBy: "part restarted").count - 1 == 2)
    }

    @Test("a part that returns by itself counts as a failure and is started again")
    func endedByItself() async throws {
        let starts = Atomic<Int>(0)
        let supervisor = PartSupervisor(
            name: "download workers", policy: Self.quick, logger: .silent)
        let running = Task {
            try await supervisor.run {
                if starts.add(1, ordering: .relaxed).newValue >= 2 {
                    while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
                }
            }
        }
        while starts.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(5)) }
        running.cancel()
        try await running.value
        #expect(starts.load(ordering: .relaxed) == 2)
    }

    @Test("a part that keeps failing is given up with a message that says what to do")
    func givesUp() async throws {
        let starts = Atomic<Int>(0)
        let supervisor = PartSupervisor(name: "inbox", policy: Self.quick, logger: .silent)
        do {
            try await supervisor.run {
                starts.add(1, ordering: .relaxed)
                throw InboxError.system(
                    function: "inotify_init1", path: "/srv/inbox", errno: EMFILE)
            }
            Issue.record("the supervisor did not give up")
        } catch {
            #expect(error.code == "part_failed")
            #expect(error.failures == 4)
            #expect(error.message.contains("the inbox failed 4 times in a row"))
            #expect(error.message.contains("inotify_init1 /srv/inbox"))
            #expect(error.message.contains("start intake again"))
        }
        #expect(starts.load(ordering: .relaxed) == 4)
    }

    @Test("a part that ran long enough before failing starts its count again")
    func healthyRunForgets() async throws {
        var policy = Self.quick
        policy.healthyAfter = .milliseconds(30)
        let starts = Atomic<Int>(0)
        let supervisor = PartSupervisor(name: "inbox", policy: policy, logger: .silent)
        let running = Task {
            try await supervisor.run {
                let start = starts.add(1, ordering: .relaxed).newValue
                // Every run fails, but each lasts longer than healthyAfter: never given up.
                try? await Task.sleep(for: .milliseconds(40))
                if start >= 6 {
                    while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(5)) }
                }
                throw InboxError.system(function: "poll", path: "/srv/inbox", errno: EBADF)
            }
        }
        while starts.load(ordering: .relaxed) < 6 { try await Task.sleep(for: .milliseconds(5)) }
        running.cancel()
        try await running.value
        #expect(starts.load(ordering: .relaxed) == 6)
    }
}
