import Synchronization

/// The metadata the metadata stage found for the last images it read, kept in memory for the
/// analysis stage, which needs some of the same values and would otherwise read the file and
/// parse its EXIF a second time. Only what the analysis reads is kept (type, size in bytes and
/// pixels, orientation: about 200 bytes an image, so the default capacity is about 2 MB), since
/// in a large drop the metadata stage runs thousands of images ahead of the analysis.
///
/// Only a shortcut: an image whose metadata is not here (the daemon restarted between the two
/// stages, or `capacity` more images were kept since) is simply read again. The store's
/// files never change under their content address, so the values kept are the ones a second
/// read would give.
public final class RecentMetadata: Sendable {
    /// The entries and the order they came in, behind one lock.
    private struct State {
        /// Each entry with the number of the `keep` that stored it.
        var bySHA256: [String: (metadata: ImageMetadata, number: Int)] = [:]
        /// Every `keep` in order, as image and number. An element whose number is no longer
        /// its image's entry (taken since, or kept again later) is stale and skipped.
        var order: [(sha256: String, number: Int)] = []
        /// Where `order` starts: elements before it were dropped already.
        var start = 0
        var kept = 0

        func isCurrent(_ element: (sha256: String, number: Int)) -> Bool {
            bySHA256[element.sha256]?.number == element.number
        }
    }

    private let state = Mutex(State())
    public let capacity: Int

    public init(capacity: Int = 10_000) {
        precondition(capacity > 0, "a cache needs room for one entry")
        self.capacity = capacity
    }

    /// Keeps what the analysis needs of `metadata`, dropping the oldest entry when full.
    public func keep(_ metadata: ImageMetadata) {
        let metadata = ImageMetadata(
            sha256: metadata.sha256, mimeType: metadata.mimeType, bytes: metadata.bytes,
            width: metadata.width, height: metadata.height, orientation: metadata.orientation,
            exif: [:])
        state.withLock { state in
            state.kept += 1
            state.bySHA256[metadata.sha256] = (metadata, state.kept)
            state.order.append((metadata.sha256, state.kept))
            while state.bySHA256.count > capacity, state.start < state.order.count {
                let oldest = state.order[state.start]
                state.start += 1
                if state.isCurrent(oldest) { state.bySHA256[oldest.sha256] = nil }
            }
            if state.order.count - state.start > 2 * capacity || state.start > capacity {
                // Now and then, rather than on every change: drop what was dropped or taken.
                state.order = state.order[state.start...].filter { state.isCurrent($0) }
                state.start = 0
            }
        }
    }

    /// What was kept for `sha256`, removed from the cache: each analysis takes it once.
    public func take(_ sha256: String) -> ImageMetadata? {
        state.withLock { $0.bySHA256.removeValue(forKey: sha256)?.metadata }
    }

    /// Entries kept now.
    public var count: Int { state.withLock { $0.bySHA256.count } }

    /// How many `keep`s the order still tracks, stale ones included (for tests: it stays
    /// within a small multiple of the capacity).
    var tracked: Int { state.withLock { $0.order.count - $0.start } }
}
