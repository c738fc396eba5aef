import CSQLite
import Dispatch
import Foundation
import TestSupport
import Testing

@testable import IntakeCore

/// The writer connection's group commit: operations that arrive together share a transaction,
/// and one that throws is rolled back alone.
@Suite("group commit")
struct GroupCommitWriterTests {
    /// The error a test operation throws on purpose.
    struct Refused: Error, Equatable {}

    /// A writer on a fresh database with one table `items (name TEXT PRIMARY KEY)`.
    static func makeWriter(in folder: TemporaryFolder) throws -> (GroupCommitWriter, String) {
        let path = folder.file("writer.db")
        let database = try Database(path: path)
        try database.execute("CREATE TABLE items (name TEXT PRIMARY KEY)")
        return (GroupCommitWriter(database: database), path)
    }

    /// Runs `operations` as one group: the writer's queue is held until all of them are
    /// waiting, so a single drain takes them together. Returns each operation's result.
    static func runAsOneGroup(
        _ writer: GroupCommitWriter, _ operations: [@Sendable (Database) throws -> Void]
    ) async -> [Result<Void, any Error>] {
        let holding = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let held = Thread {
            try? writer.exclusive { _ in
                holding.signal()
                release.wait()
            }
        }
        held.start()
        holding.wait()
        return await withTaskGroup(of: (Int, Result<Void, any Error>).self) { group in
            for (index, operation) in operations.enumerated() {
                group.addTask {
                    do {
                        try await writer.write(operation)
                        return (index, .success(()))
                    } catch {
                        return (index, .failure(error))
                    }
                }
            }
            while writer.waiting < operations.count {
                await Task.yield()
            }
            release.signal()
            var results = [Result<Void, any Error>](
                repeating: .success(()), count: operations.count)
            for await (index, result) in group {
                results[index] = result
            }
            return results
        }
    }

    /// An operation that inserts the row `name`.
    static func insert(_ name: String) -> @Sendable (Database) throws -> Void {
        { database in try database.run("INSERT INTO items (name) VALUES (?1)", [.text(name)]) }
    }

    static func names(in path: String) throws -> [String] {
        try Database(path: path).rows("SELECT name FROM items ORDER BY name") { $0.text(0) }
    }

    @Test("operations that arrive together commit in one transaction")
    func grouped() async throws {
        let folder = TemporaryFolder("intake-writer")
        let (writer, path) = try Self.makeWriter(in: folder)
        let results = await Self.runAsOneGroup(writer, (0..<20).map { Self.insert("n\($0)") })
        #expect(results.allSatisfy { $0.isSuccess })
        #expect(try Self.names(in: path).count == 20)
        #expect(writer.statistics.transactions == 1)
        #expect(writer.statistics.operations == 20)
    }

    @Test("an operation that throws is rolled back alone; the others commit once each")
    func failingOperationIsolated() async throws {
        let folder = TemporaryFolder("intake-writer")
        let (writer, path) = try Self.makeWriter(in: folder)
        let operations: [@Sendable (Database) throws -> Void] = (0..<6).map { index in
            { database in
                try Self.insert("a\(index)")(database)
                // The third operation writes a row, then throws: its row must not stay.
                if index == 2 { throw Refused() }
                try Self.insert("b\(index)")(database)
            }
        }
        let results = await Self.runAsOneGroup(writer, operations)
        for (index, result) in results.enumerated() {
            switch result {
            case .success:
                #expect(index != 2)
            case .failure(let error):
                #expect(index == 2)
                #expect(error as? Refused == Refused())
            }
        }
        // Every other operation's two rows exist exactly once (the names are a primary key,
        // so a first run left in place would have made the second one fail).
        let expected = [0, 1, 3, 4, 5].flatMap { ["a\($0)", "b\($0)"] }.sorted()
        #expect(try Self.names(in: path) == expected)
        #expect(writer.statistics.transactions == 1)
    }

    @Test("a constraint error in one operation leaves the others of its group committed")
    func constraintErrorIsolated() async throws {
        let folder = TemporaryFolder("intake-writer")
        let (writer, path) = try Self.makeWriter(in: folder)
        try await writer.write(Self.insert("taken"))
        let results = await Self.runAsOneGroup(writer, ["x", "taken", "y"].map(Self.insert))
        #expect(results[0].isSuccess && !results[1].isSuccess && results[2].isSuccess)
        #expect(try Self.names(in: path) == ["taken", "x", "y"])
    }

    @Test("a full database reports SQLITE_FULL to whoever it fails, never a rollback's error")
    func fullDatabase() async throws {
        let folder = TemporaryFolder("intake-writer")
        let (writer, path) = try Self.makeWriter(in: folder)
        try await writer.write(Self.insert("before"))
        // No page may be added from now on: a large row cannot be stored.
        try writer.exclusive { database in
            let pages = try database.scalar("PRAGMA page_count") ?? 0
            _ = try database.scalar("PRAGMA max_page_count = \(pages)")
        }
        let large: @Sendable (Database) throws -> Void = { database in
            try database.run(
                "INSERT INTO items (name) VALUES (?1)",
                [.text(String(repeating: "x", count: 200_000))])
        }
        let results = await Self.runAsOneGroup(writer, [Self.insert("small"), large])
        guard case .failure(let error) = results[1] else {
            Issue.record("the large row was stored in a full database")
            return
        }
        #expect((error as? DatabaseError)?.resultCode == SQLITE_FULL, "\(error)")
        #expect(DiskSpace.isDiskFull(error))
        for case .failure(let other) in results {
            #expect((other as? DatabaseError)?.resultCode == SQLITE_FULL, "\(other)")
        }
        #expect(try !Self.names(in: path).contains { $0.count > 100 })
    }
}

extension Result {
    fileprivate var isSuccess: Bool {
        if case .success = self { return true }
        return false
    }
}
