import Foundation
import Synchronization
import Testing

@testable import IntakeCore

@Suite("Pause gate")
struct PauseGateTests {
    @Test("an open gate lets callers through at once")
    func open() async throws {
        let gate = PauseGate()
        #expect(!gate.isPaused)
        try await gate.wait()
        #expect(gate.waitBlocking(timeout: .zero))
    }

    @Test("a paused gate holds async waiters until resume, then lets all of them go")
    func holdsAsyncWaiters() async throws {
        let gate = PauseGate()
        #expect(gate.pause(reason: "disk full: 0 bytes free in /srv/intake"))
        #expect(!gate.pause(reason: "disk full: 10 bytes free in /srv/intake"))
        #expect(gate.reason == "disk full: 10 bytes free in /srv/intake")
        #expect(gate.pausedSince != nil)
        let passed = Box()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await gate.wait()
                    passed.count.add(1, ordering: .relaxed)
                }
            }
            // Nobody passes while paused: give the waiters time to reach the gate.
            try await Task.sleep(for: .milliseconds(100))
            #expect(passed.count.load(ordering: .relaxed) == 0)
            #expect(gate.resume())
            try await group.waitForAll()
        }
        #expect(passed.count.load(ordering: .relaxed) == 8)
        #expect(!gate.isPaused)
        #expect(gate.pausedSince == nil)
        #expect(!gate.resume())
    }

    @Test("a waiting task that is cancelled leaves with CancellationError; the gate stays paused")
    func cancellation() async throws {
        let gate = PauseGate()
        gate.pause(reason: "test")
        let waiter = Task { try await gate.wait() }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        await #expect(throws: CancellationError.self) { try await waiter.value }
        #expect(gate.isPaused)
        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await gate.wait()
        }
        await #expect(throws: CancellationError.self) { try await cancelledFirst.value }
    }

    @Test("a blocked thread waits until resume, or gives up at its timeout")
    func blockingWait() async throws {
        let gate = PauseGate()
        gate.pause(reason: "test")
        let started = ContinuousClock.now
        #expect(!gate.waitBlocking(timeout: .milliseconds(50)))
        #expect(ContinuousClock.now - started >= .milliseconds(50))

        // Generous limits: under a full parallel test run this task's sleeps can be held up
        // for half a minute (the other tests keep the two cores' cooperative threads busy),
        // and a thread whose wait had run out before the resume would fail the test wrongly.
        let opened = Box()
        let thread = Thread {
            if gate.waitBlocking(timeout: .seconds(600)) {
                opened.count.store(1, ordering: .relaxed)
            }
        }
        thread.start()
        try await Task.sleep(for: .milliseconds(50))
        gate.resume()
        let deadline = ContinuousClock.now + .seconds(120)
        while opened.count.load(ordering: .relaxed) == 0 && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(opened.count.load(ordering: .relaxed) == 1)
    }

    /// A counter that escaping closures on other threads share.
    final class Box: Sendable {
        let count = Atomic<Int>(0)
    }
}
