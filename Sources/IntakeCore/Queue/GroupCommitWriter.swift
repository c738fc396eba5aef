import Dispatch
import Foundation
import Synchronization

/// The one writer connection of a database, owned by one serial queue, which commits the
/// operations that arrive close together in one transaction (group commit).
///
/// One operation that throws is rolled back alone and the others still commit: the group is
/// then run again with each operation in its own SAVEPOINT (see `drain`). Callers resume only
/// after the COMMIT, so a caller that was answered knows its change is durable (as
/// `synchronous=NORMAL` in WAL mode makes it: safe against a process crash).
public final class GroupCommitWriter: @unchecked Sendable {
    // `database` is only touched on `queue`, a serial queue: that is what makes owning the
    // non-Sendable connection from this Sendable class safe.
    private let database: Database
    private let queue = DispatchQueue(label: "intake.database.writer")
    private let pending = Mutex<[Operation]>([])
    private let afterCommit: @Sendable () -> Void
    private let transactions = Atomic<Int>(0)
    private let operationCount = Atomic<Int>(0)

    /// Transactions committed (or attempted) and operations run in them so far: their ratio is
    /// how well group commit is batching.
    public var statistics: (transactions: Int, operations: Int) {
        (transactions.load(ordering: .relaxed), operationCount.load(ordering: .relaxed))
    }

    /// How many operations wait for the next transaction (for tests).
    var waiting: Int { pending.withLock { $0.count } }

    /// An operation waiting for the next transaction.
    ///
    /// Unchecked because its closures capture the caller's result slot: both run only on the
    /// writer's serial queue, one after the other, so nothing is shared concurrently.
    struct Operation: @unchecked Sendable {
        /// Runs the operation's body; the error it threw, if any.
        let run: (Database) -> (any Error)?
        /// Called once the transaction ended, with the error that stopped the COMMIT, if any.
        let finish: ((any Error)?) -> Void
    }

    /// Takes ownership of `database`. `afterCommit` runs after every transaction that
    /// committed, on the writer's queue (the publisher uses it to wake up).
    public init(database: Database, afterCommit: @escaping @Sendable () -> Void = {}) {
        self.database = database
        self.afterCommit = afterCommit
    }

    /// Runs `body` in the next group transaction and returns its value once committed.
    public func write<T: Sendable>(
        _ body: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            // Written and read only on the writer's queue, one operation at a time.
            nonisolated(unsafe) var result: Result<T, any Error>?
            let operation = Operation(
                run: { database in
                    result = Result { try body(database) }
                    if case .failure(let error) = result { return error }
                    return nil
                },
                finish: { commitError in
                    if let commitError {
                        continuation.resume(throwing: commitError)
                    } else {
                        continuation.resume(with: result ?? .failure(CancellationError()))
                    }
                })
            submit(operation)
        }
    }

    /// Queues `operation` for the next transaction, starting a drain when none is pending.
    private func submit(_ operation: Operation) {
        let first = pending.withLock { list -> Bool in
            list.append(operation)
            return list.count == 1
        }
        if first {
            queue.async { self.drain() }
        }
    }

    /// Runs `body` in the next group transaction and blocks the calling thread until it is
    /// committed, for callers on threads of their own (the inbox). Never call it from the
    /// writer's queue or from Swift concurrency's cooperative pool.
    public func writeAndWait<T: Sendable>(
        _ body: @escaping @Sendable (Database) throws -> T
    ) throws -> T {
        let done = DispatchSemaphore(value: 0)
        // Written once by the operation's completion, read after `done` is signalled.
        nonisolated(unsafe) var outcome: Result<T, any Error>?
        // Set by the operation's run, on the writer's queue, before its completion.
        nonisolated(unsafe) var value: Result<T, any Error>?
        let operation = Operation(
            run: { database in
                value = Result { try body(database) }
                if case .failure(let error) = value { return error }
                return nil
            },
            finish: { commitError in
                outcome = commitError.map { .failure($0) } ?? value
                done.signal()
            })
        submit(operation)
        done.wait()
        return try (outcome ?? .failure(CancellationError())).get()
    }

    /// Runs `body` on the writer's queue outside any group transaction and waits for it, for
    /// work that manages its own transactions (start-up recovery).
    public func exclusive<T: Sendable>(_ body: (Database) throws -> T) throws -> T {
        try queue.sync { try body(database) }
    }

    /// Takes every waiting operation and commits them together.
    ///
    /// The group first runs without savepoints: a savepoint per operation made SQLite copy
    /// every page an operation touched into its statement journal, a good part of the writer's
    /// time. Only when an operation throws is the whole group rolled back and run again with
    /// a savepoint around each operation, so that the failing one is rolled back alone. An
    /// operation's body can therefore run twice; only its last run is committed, and bodies
    /// change nothing but the database.
    private func drain() {
        let operations = pending.withLock { list in
            let taken = list
            list.removeAll()
            return taken
        }
        guard !operations.isEmpty else { return }
        transactions.add(1, ordering: .relaxed)
        operationCount.add(operations.count, ordering: .relaxed)
        var commitError: (any Error)?
        do {
            if try !commit(operations, isolated: false) {
                try commit(operations, isolated: true)
            }
        } catch {
            commitError = error
        }
        for operation in operations {
            operation.finish(commitError)
        }
        if commitError == nil {
            afterCommit()
        }
    }

    /// Runs `operations` in one transaction and commits it. Not `isolated`, it stops at the
    /// first operation that fails, rolls everything back and returns false; `isolated`, each
    /// operation runs in its own savepoint and a failing one is rolled back alone. When SQLite
    /// ended the transaction itself after an operation's error (a full disk, an I/O error),
    /// that error is thrown for the whole group: it is the cause every caller should see.
    @discardableResult
    private func commit(_ operations: [Operation], isolated: Bool) throws -> Bool {
        do {
            try database.run("BEGIN IMMEDIATE")
            for operation in operations {
                if isolated { try database.run("SAVEPOINT operation") }
                guard let failure = operation.run(database) else {
                    if isolated { try database.run("RELEASE operation") }
                    continue
                }
                guard database.isInTransaction else { throw failure }
                guard isolated else {
                    try database.run("ROLLBACK")
                    return false
                }
                try database.run("ROLLBACK TO operation")
                try database.run("RELEASE operation")
            }
            try database.run("COMMIT")
            return true
        } catch {
            if database.isInTransaction { try? database.execute("ROLLBACK") }
            throw error
        }
    }
}
