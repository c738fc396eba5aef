import CSQLite
import Foundation

/// One prepared SQLite statement, finalized when the value is released.
///
/// A statement belongs to its `Database` and, like it, to one thread or actor at a time.
public final class Statement {
    let handle: OpaquePointer
    /// The SQL text, kept for error messages.
    public let sql: String
    private unowned let database: Database

    init(database: Database, sql: String) throws(DatabaseError) {
        var handle: OpaquePointer?
        let code = sqlite3_prepare_v2(database.handle, sql, -1, &handle, nil)
        guard code == SQLITE_OK, let handle else {
            sqlite3_finalize(handle)
            throw database.error(code, function: "sqlite3_prepare_v2", sql: sql)
        }
        self.handle = handle
        self.sql = sql
        self.database = database
    }

    deinit {
        sqlite3_finalize(handle)
    }

    /// Binds `values` to the parameters `?1`, `?2`, ... after clearing earlier bindings.
    @discardableResult
    public func bind(_ values: [DatabaseValue]) throws(DatabaseError) -> Statement {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let code: Int32
            switch value {
            case .null:
                code = sqlite3_bind_null(handle, index)
            case .integer(let number):
                code = sqlite3_bind_int64(handle, index, number)
            case .real(let number):
                code = sqlite3_bind_double(handle, index, number)
            case .text(let text):
                code = sqlite3_bind_text(handle, index, text, -1, intake_sqlite_transient())
            case .blob(let data):
                code = data.withUnsafeBytes { bytes in
                    sqlite3_bind_blob(
                        handle, index, bytes.baseAddress, Int32(bytes.count),
                        intake_sqlite_transient())
                }
            }
            guard code == SQLITE_OK else {
                throw database.error(code, function: "sqlite3_bind", sql: sql)
            }
        }
        return self
    }

    /// Advances to the next row; false when the statement is done.
    public func step() throws(DatabaseError) -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW:
            return true
        case SQLITE_DONE:
            return false
        default:
            sqlite3_reset(handle)
            throw database.error(code, function: "sqlite3_step", sql: sql)
        }
    }

    /// Runs the statement to completion, ignoring rows, and resets it for the next use.
    public func run(_ values: [DatabaseValue] = []) throws(DatabaseError) {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Runs the statement and maps every row.
    public func rows<T>(
        _ values: [DatabaseValue] = [], _ map: (Row) throws -> T
    ) throws -> [T] {
        try bind(values)
        defer { sqlite3_reset(handle) }
        var result: [T] = []
        while try step() {
            result.append(try map(Row(statement: self)))
        }
        return result
    }

    /// Runs the statement and maps its first row, if any.
    public func row<T>(_ values: [DatabaseValue] = [], _ map: (Row) throws -> T) throws -> T? {
        try bind(values)
        defer { sqlite3_reset(handle) }
        guard try step() else { return nil }
        let value = try map(Row(statement: self))
        while try step() {}
        return value
    }
}
