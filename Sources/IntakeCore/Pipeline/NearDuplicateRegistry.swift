import Synchronization

/// The perceptual hashes of every analysed image, shared by the analysis workers: loaded from
/// the database at start, and added to as each analysis is committed.
public final class NearDuplicateRegistry: Sendable {
    private let index = Mutex(NearDuplicateIndex<String>())
    private let known = Mutex(Set<String>())

    public init() {}

    /// Loads every stored pHash from `database`.
    public func load(from database: Database) throws {
        let rows = try database.rows(
            "SELECT sha256, phash FROM images WHERE phash IS NOT NULL"
        ) { (sha256: $0.text(0), phash: UInt64(bitPattern: $0.int(1))) }
        for row in rows {
            add(sha256: row.sha256, phash: row.phash)
        }
    }

    /// Adds an analysed image once.
    public func add(sha256: String, phash: UInt64) {
        guard known.withLock({ $0.insert(sha256).inserted }) else { return }
        index.withLock { $0.insert(phash, id: sha256) }
    }

    /// Stored images within `bits` of `phash`, nearest first, other than `excluding`.
    public func nearest(
        to phash: UInt64, within bits: Int, excluding: String, limit: Int = 20
    ) -> [NearDuplicateIndex<String>.Match] {
        index.withLock { $0.nearest(to: phash, within: bits, limit: limit + 1) }
            .filter { $0.id != excluding }.prefix(limit).map { $0 }
    }

    public var count: Int { index.withLock { $0.count } }
}
