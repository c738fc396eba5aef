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
        var bySHA256: [String: ImageMetadata] = [:]
        /// Insertion order, for dropping the oldest when full.
        var order: [String] = []
        var start = 0
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
            if state.bySHA256.updateValue(metadata, forKey: metadata.sha256) != nil { return }
            state.order.append(metadata.sha256)
            if state.order.count - state.start > capacity {
                state.bySHA256[state.order[state.start]] = nil
                state.start += 1
            }
            if state.start > capacity {
                // Compact the order now and then instead of shifting it on every drop.
                state.order.removeFirst(state.start)
                state.start = 0
            }
        }
    }

    /// What was kept for `sha256`, removed from the cache: each analysis takes it once.
    public func take(_ sha256: String) -> ImageMetadata? {
        state.withLock { $0.bySHA256.removeValue(forKey: sha256) }
    }

    /// Entries kept now.
    public var count: Int { state.withLock { $0.bySHA256.count } }
}
