import Dispatch
import Foundation
import Synchronization
import Testing

@testable import IntakeCore

/// `Blocking.run`: blocking work on threads of its own, never on Swift concurrency's.
@Suite("Blocking work")
struct SupportBlockingTests {
    @Test("work items run side by side even when there are many more of them than cores")
    func beyondTheCores() async {
        // Each item waits until all have started. Dispatch's global queues start with about as
        // many threads as cores and add more only slowly while all of them are blocked (about
        // two a second on a 2-core machine), so there some items give up at the limit within
        // the 10 s; threads of their own let them all meet at once. Four times the cores plus
        // 48 stays beyond what the global queues reach in that time on any machine.
        let count = 4 * ProcessInfo.processInfo.activeProcessorCount + 48
        let barrier = Barrier(parties: count)
        let met = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<count {
                group.addTask { await Blocking.run { barrier.arriveAndWait(seconds: 10) } }
            }
            return await group.reduce(into: 0) { total, met in total += met ? 1 : 0 }
        }
        #expect(met == count)
    }

    @Test("the value the work returns comes back to the caller")
    func returnsTheValue() async {
        let value = await Blocking.run { (1...100).reduce(0, +) }
        #expect(value == 5050)
    }

    /// Lets `parties` threads wait until all of them have arrived, or until a time limit.
    final class Barrier: Sendable {
        private let parties: Int
        private let arrived = Atomic<Int>(0)
        private let open = DispatchSemaphore(value: 0)

        init(parties: Int) {
            self.parties = parties
        }

        /// True when every party arrived within `seconds`.
        func arriveAndWait(seconds: Int) -> Bool {
            let now = arrived.add(1, ordering: .sequentiallyConsistent).newValue
            if now == parties {
                for _ in 1..<parties { open.signal() }
                return true
            }
            return open.wait(timeout: .now() + .seconds(seconds)) == .success
        }
    }
}
