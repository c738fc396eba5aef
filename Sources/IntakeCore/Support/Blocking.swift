import Dispatch

/// Runs CPU-bound or blocking work (decoding an image, running an analyzer) on a Dispatch
/// thread, so that it never occupies one of Swift concurrency's few cooperative threads, which
/// the queues' dispatchers and the download stage need to keep moving.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async {
                continuation.resume(returning: work())
            }
        }
    }
}
