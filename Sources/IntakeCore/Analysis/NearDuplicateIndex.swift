/// Perceptual hashes of stored images in memory, searched for near duplicates by Hamming
/// distance: every stored hash is compared with the query (XOR and popcount), which costs
/// about a millisecond per million images and needs no tree to keep balanced. The pipeline
/// fills it from the database at start and adds each newly analysed image.
///
/// Not thread-safe by itself; the owner serialises access (a value type, copied on write).
public struct NearDuplicateIndex<ID: Hashable & Sendable>: Sendable {
    /// One match: the stored image and how many bits its hash differs by.
    public struct Match: Sendable, Equatable {
        public let id: ID
        public let distance: Int
    }

    private var hashes: [UInt64] = []
    private var ids: [ID] = []

    public init() {}

    public var count: Int { hashes.count }

    /// Adds a stored image. An id may be added once; adding it again adds a second entry.
    public mutating func insert(_ hash: UInt64, id: ID) {
        hashes.append(hash)
        ids.append(id)
        if hashes.count == 1 { hashes.reserveCapacity(1024) }
    }

    /// Stored images whose hash is within `maxDistance` bits of `hash`, nearest first (ties
    /// in insertion order), at most `limit` of them.
    public func nearest(to hash: UInt64, within maxDistance: Int, limit: Int = 100) -> [Match] {
        var found: [(index: Int, distance: Int)] = []
        hashes.withUnsafeBufferPointer { stored in
            for index in 0..<stored.count {
                let distance = (stored[index] ^ hash).nonzeroBitCount
                if distance <= maxDistance { found.append((index, distance)) }
            }
        }
        found.sort { ($0.distance, $0.index) < ($1.distance, $1.index) }
        return found.prefix(limit).map { Match(id: ids[$0.index], distance: $0.distance) }
    }
}
