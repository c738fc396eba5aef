import Synchronization

/// How many body bytes the downloader may hold in memory at once: small bodies are kept in
/// memory until the store writes them, which spares the transfer thread every file-system
/// call; past this budget they go to a file like large ones, so memory stays bounded however
/// far the store falls behind.
final class MemoryBudget: Sendable {
    private let limit: Int
    private let used = Atomic<Int>(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes `bytes` from the budget; false (and nothing taken) when they do not fit.
    func reserve(_ bytes: Int) -> Bool {
        var current = used.load(ordering: .relaxed)
        while current + bytes <= limit {
            let (exchanged, original) = used.compareExchange(
                expected: current, desired: current + bytes, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives back `bytes` taken with `reserve`.
    func release(_ bytes: Int) {
        used.subtract(bytes, ordering: .relaxed)
    }

    /// Bytes taken now.
    var inUse: Int { used.load(ordering: .relaxed) }
}
