import Synchronization

/// How many jobs a stage's workers are running, shared between the dispatcher and its workers.
final class RunningCount: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .acquiring) }

    func add(_ delta: Int) {
        count.add(delta, ordering: .acquiringAndReleasing)
    }
}
