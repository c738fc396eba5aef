import Dispatch

/// Runs CPU-bound or blocking work (hashing and syncing an original, decoding an image,
/// running an analyzer) on a thread of its own, so that it never occupies one of the threads
/// that run Swift concurrency's tasks, which the queues' dispatchers and the writer's callers
/// need to keep moving.
///
/// On Linux those tasks run on Dispatch's global queues, whose threads number about as many as
/// the cores. Work handed to a global queue therefore took the same threads: on two cores, two
/// analysis jobs waiting for libvips left none for the metadata stage's dispatcher, and a
/// download stage `fsync` stalled everything behind it. A new serial queue runs on a thread
/// of Dispatch's overcommitting pool instead, which grows with the work in flight; the stages'
/// concurrency settings bound how much that is (their sum: 2 + 2 + 3 threads by default on
/// two cores, and at most the sum of the three settings' upper limits).
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "intake.blocking", qos: .userInitiated).async {
                continuation.resume(returning: work())
            }
        }
    }
}
