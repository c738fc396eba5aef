import CSQLite
import Foundation

/// One SQLite connection, closed when the value is released.
///
/// A connection is not `Sendable`: one thread, serial queue or actor owns it. Every connection is
/// opened in WAL mode with `synchronous=NORMAL` (durable across process crashes, and across power
/// loss up to the last checkpoint; see https://sqlite.org/pragma.html#pragma_synchronous),
/// a busy timeout, and foreign keys on.
public final class Database {
    let handle: OpaquePointer
    /// The database file.
    public let path: String
    private var statements: [String: Statement] = [:]

    /// How long a statement waits for another connection's lock before failing with
    /// `database_busy`.
    public static let busyTimeoutMillis: Int32 = 10_000

    /// Opens (and with `create`, creates) the database at `path`.
    public init(path: String, readOnly: Bool = false, create: Bool = true) throws(DatabaseError) {
        Database.configureLibrary
        var handle: OpaquePointer?
        var flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        flags |= readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE
        if create && !readOnly { flags |= SQLITE_OPEN_CREATE }
        let code = sqlite3_open_v2(path, &handle, flags, nil)
        guard code == SQLITE_OK, let handle else {
            let detail = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw DatabaseError(
                resultCode: code, detail: "\(detail) (\(path))", function: "sqlite3_open_v2")
        }
        self.handle = handle
        self.path = path
        sqlite3_busy_timeout(handle, Database.busyTimeoutMillis)
        do {
            if !readOnly {
                try execute("PRAGMA journal_mode=WAL")
            }
            try execute("PRAGMA synchronous=NORMAL")
            try execute("PRAGMA foreign_keys=ON")
            // Statement journals and sorts in memory: on disk, SQLite made and deleted a file
            // in /var/tmp for about one write transaction in six (a new inode each time), and
            // looked up TMPDIR with getenv(3) for it, which must not race a setenv(3) that
            // libvips' start makes on another thread.
            try execute("PRAGMA temp_store=MEMORY")
        } catch {
            statements.removeAll()
            sqlite3_close_v2(handle)
            throw error
        }
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Process-wide SQLite settings, made once before the first connection opens: memory
    /// statistics off (intake reads none, and they take a global mutex per allocation).
    private static let configureLibrary: Void = {
        _ = intake_sqlite_disable_memory_statistics()
    }()

    /// The linked SQLite library's version, such as `3.40.1`.
    public static var libraryVersion: String { String(cString: sqlite3_libversion()) }

    /// Runs one or more statements that take no parameters and return no rows of interest.
    public func execute(_ sql: String) throws(DatabaseError) {
        var message: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &message)
        guard code == SQLITE_OK else {
            let detail = message.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(message)
            throw DatabaseError(
                resultCode: code, detail: detail, sql: sql, function: "sqlite3_exec")
        }
    }

    /// A prepared statement for `sql`, cached on this connection.
    public func statement(_ sql: String) throws(DatabaseError) -> Statement {
        if let cached = statements[sql] { return cached }
        let statement = try Statement(database: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    /// Runs `sql` with `values`, ignoring any rows.
    public func run(_ sql: String, _ values: [DatabaseValue] = []) throws(DatabaseError) {
        try statement(sql).run(values)
    }

    /// Maps every row of `sql`.
    public func rows<T>(
        _ sql: String, _ values: [DatabaseValue] = [], _ map: (Row) throws -> T
    ) throws -> [T] {
        try statement(sql).rows(values, map)
    }

    /// Maps the first row of `sql`, if any.
    public func row<T>(
        _ sql: String, _ values: [DatabaseValue] = [], _ map: (Row) throws -> T
    ) throws -> T? {
        try statement(sql).row(values, map)
    }

    /// The integer in the first column of the first row, or nil.
    public func scalar(_ sql: String, _ values: [DatabaseValue] = []) throws -> Int64? {
        try row(sql, values) { $0.optionalInt(0) } ?? nil
    }

    /// True while a transaction is open. SQLite ends one by itself after some errors (a full
    /// disk, an I/O error), which a caller that means to roll back must know.
    public var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last INSERT.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction: committed when it returns, rolled back
    /// when it throws. IMMEDIATE takes the write lock up front, so a writer waits for another
    /// writer at BEGIN (under the busy timeout) instead of failing later with SQLITE_BUSY.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let value = try body()
            try execute("COMMIT")
            return value
        } catch {
            try? execute("ROLLBACK")
            throw error
        }
    }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    func error(_ code: Int32, function: String, sql: String?) -> DatabaseError {
        DatabaseError(resultCode: code, detail: lastMessage, sql: sql, function: function)
    }
}
