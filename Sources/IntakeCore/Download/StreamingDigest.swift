import Dispatch
import Foundation

/// The SHA-256 of a body as it arrives. Small bodies are hashed on the transfer thread; once
/// `offload()` is called (a large body going to a file), every later chunk is copied and
/// hashed on a thread of its own, in order, so that the transfer thread only receives and
/// writes. Chunks are gathered into batches of `batchBytes` (waking the other thread for
/// every chunk curl hands over costs more than copying it), and at most `maxBatchesInFlight`
/// batches wait for that thread: past that the transfer thread waits, so memory stays
/// bounded when hashing is slower than the network.
final class StreamingDigest: @unchecked Sendable {
    // Safe to share with `queue`: after `offload()`, `hasher` is touched only by blocks on
    // the serial `queue` (and by `finish`/`reset`, which run on it with `sync`); before it,
    // only by the transfer thread, and no block is on `queue` yet.
    private let hasher = SHA256()
    private var queue: DispatchQueue?
    private let slots: DispatchSemaphore
    /// Bytes gathered on the transfer thread, not yet handed to `queue`.
    private var batch: [UInt8] = []

    static let batchBytes = 1 << 20
    static let maxBatchesInFlight = 8

    init() {
        slots = DispatchSemaphore(value: StreamingDigest.maxBatchesInFlight)
    }

    /// Hashes every later chunk on a thread of its own.
    func offload() {
        if queue == nil { queue = DispatchQueue(label: "intake.download.digest") }
    }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard let queue else {
            hasher.update(bytes)
            return
        }
        if batch.capacity < StreamingDigest.batchBytes {
            batch.reserveCapacity(StreamingDigest.batchBytes)
        }
        batch.append(contentsOf: bytes)
        if batch.count >= StreamingDigest.batchBytes { flush(queue) }
    }

    /// Hands the gathered bytes to `queue`.
    private func flush(_ queue: DispatchQueue) {
        guard !batch.isEmpty else { return }
        let bytes = batch
        batch = []
        slots.wait()
        queue.async { [self] in
            bytes.withUnsafeBytes { hasher.update($0) }
            slots.signal()
        }
    }

    /// Forgets every byte fed so far.
    func reset() {
        batch = []
        if let queue { queue.sync { hasher.reset() } } else { hasher.reset() }
    }

    /// The lowercase hex digest of every byte fed, once every chunk is hashed.
    func finish() -> String {
        guard let queue else { return hasher.finish() }
        flush(queue)
        return queue.sync { hasher.finish() }
    }
}
