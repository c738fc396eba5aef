import CSQLite
import Foundation
import Testing
import TestSupport

@testable import IntakeCore

@Suite("Database")
struct DatabaseTests {
    @Test("a new database: WAL, synchronous=NORMAL, foreign keys on, temporary data in memory")
    func pragmas() throws {
        let folder = TemporaryFolder()
        let database = try Database(path: folder.file("t.db"))
        #expect(try database.row("PRAGMA journal_mode") { $0.text(0) } == "wal")
        #expect(try database.scalar("PRAGMA synchronous") == 1)
        #expect(try database.scalar("PRAGMA foreign_keys") == 1)
        #expect(try database.scalar("PRAGMA temp_store") == 2, "2 is MEMORY")
        #expect(try database.scalar("PRAGMA busy_timeout") == Int64(Database.busyTimeoutMillis))
    }

    @Test("SQLite's memory statistics are off: they take a global lock for every allocation")
    func memoryStatisticsOff() throws {
        let folder = TemporaryFolder()
        let database = try Database(path: folder.file("t.db"))
        try database.execute("CREATE TABLE t(x); INSERT INTO t VALUES (randomblob(100000))")
        #expect(sqlite3_memory_used() == 0, "with statistics on, this counts every allocation")
    }

    @Test("migrations from an empty database reach the current version and are recorded")
    func fromEmpty() throws {
        let folder = TemporaryFolder()
        let database = try Database(path: folder.file("t.db"))
        #expect(try Schema.version(of: database) == 0)
        #expect(try Schema.apply(to: database) == Schema.currentVersion)
        let recorded = try database.rows("SELECT version FROM schema_migrations ORDER BY 1") {
            Int($0.int(0))
        }
        #expect(recorded == Schema.migrations.map(\.version))
        #expect(try Schema.apply(to: database) == Schema.currentVersion)
    }

    @Test("migrations from every earlier version reach the same schema as from empty")
    func fromEveryVersion() throws {
        let folder = TemporaryFolder()
        let reference = try Database(path: folder.file("reference.db"))
        try Schema.apply(to: reference)
        let expected = try schemaText(reference)
        for start in 0..<Schema.currentVersion {
            let database = try Database(path: folder.file("from-\(start).db"))
            #expect(try Schema.apply(to: database, upTo: start) == start)
            #expect(try Schema.apply(to: database) == Schema.currentVersion)
            #expect(try schemaText(database) == expected, "from version \(start)")
        }
    }

    @Test("a database newer than the binary is refused with a clear message")
    func newerRefused() throws {
        let folder = TemporaryFolder()
        let database = try Database(path: folder.file("t.db"))
        try Schema.apply(to: database)
        try database.run(
            "INSERT INTO schema_migrations VALUES (?1, 'future', 0)",
            [.integer(Int64(Schema.currentVersion + 1))])
        #expect {
            try Schema.apply(to: database)
        } throws: { error in
            let message = (error as? DatabaseError)?.message ?? ""
            return message.contains("schema version \(Schema.currentVersion + 1)")
                && message.contains("use a newer intake")
        }
    }

    @Test("errors carry the code, the message and the SQL but never the bound values")
    func errorsHideValues() throws {
        let folder = TemporaryFolder()
        let database = try Database(path: folder.file("t.db"))
        try database.execute("CREATE TABLE t (name TEXT PRIMARY KEY)")
        try database.run("INSERT INTO t VALUES (?1)", [.text("secret-value")])
        do {
            try database.run("INSERT INTO t VALUES (?1)", [.text("secret-value")])
            Issue.record("duplicate insert succeeded")
        } catch {
            #expect(error.isUniqueViolation)
            #expect(error.code == "database_constraint")
            #expect(error.sql == "INSERT INTO t VALUES (?1)")
            #expect(error.message.contains("UNIQUE constraint failed"))
            #expect(!error.message.contains("secret-value"))
        }
        #expect(throws: DatabaseError.self) { try database.execute("SELEC 1") }
    }

    @Test("a transaction that throws leaves nothing behind")
    func rollback() throws {
        struct Stop: Error {}
        let folder = TemporaryFolder()
        let database = try Database(path: folder.file("t.db"))
        try database.execute("CREATE TABLE t (x INTEGER)")
        #expect(throws: Stop.self) {
            try database.transaction {
                try database.run("INSERT INTO t VALUES (1)")
                throw Stop()
            }
        }
        #expect(try database.scalar("SELECT count(*) FROM t") == 0)
        try database.transaction { try database.run("INSERT INTO t VALUES (2)") }
        #expect(try database.scalar("SELECT sum(x) FROM t") == 2)
    }

    @Test("values of every type round-trip")
    func roundTrip() throws {
        let folder = TemporaryFolder()
        let database = try Database(path: folder.file("t.db"))
        try database.execute("CREATE TABLE t (a, b, c, d, e)")
        let blob = Data([0, 1, 2, 255])
        try database.run(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)",
            [.integer(-7), .real(2.5), .text("é\u{1F600}"), .blob(blob), .null])
        let row = try database.row("SELECT a, b, c, d, e FROM t") { row in
            (row.int(0), row.double(1), row.text(2), row.blob(3), row.optionalText(4))
        }
        #expect(row?.0 == -7)
        #expect(row?.1 == 2.5)
        #expect(row?.2 == "é\u{1F600}")
        #expect(row?.3 == blob)
        #expect(row?.4 == nil)
    }

    /// The schema as SQLite records it, without the migration bookkeeping times.
    private func schemaText(_ database: Database) throws -> [String] {
        try database.rows(
            "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master "
                + "ORDER BY type, name"
        ) { $0.text(0) }
    }
}
