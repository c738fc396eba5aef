import CSQLite

/// A failure reported by SQLite: its result code, its message and the SQL that failed.
///
/// Bound values are never part of the error, so an error can be logged without leaking data.
public struct DatabaseError: CodedError {
    /// SQLite's extended result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT_UNIQUE`, ...).
    public let resultCode: Int32
    /// SQLite's message, or ours for failures found above SQLite.
    public let detail: String
    /// The statement involved, when there is one.
    public let sql: String?
    /// The SQLite function that returned the code.
    public let function: String

    public init(resultCode: Int32, detail: String, sql: String? = nil, function: String) {
        self.resultCode = resultCode
        self.detail = detail
        self.sql = sql
        self.function = function
    }

    public var code: String {
        switch resultCode & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED: "database_busy"
        case SQLITE_FULL: "disk_full"
        case SQLITE_CONSTRAINT: "database_constraint"
        case SQLITE_CORRUPT, SQLITE_NOTADB: "database_corrupt"
        case SQLITE_CANTOPEN, SQLITE_PERM, SQLITE_READONLY: "database_unavailable"
        default: "database_error"
        }
    }

    public var message: String {
        var text = "\(function) failed (\(resultCode)): \(detail)"
        if let sql {
            text += " in `\(sql.split(whereSeparator: \.isNewline).joined(separator: " "))`"
        }
        return text
    }

    /// True for a primary-key or unique-index violation.
    public var isUniqueViolation: Bool {
        // SQLITE_CONSTRAINT_UNIQUE and _PRIMARYKEY are macro expressions Swift cannot import:
        // https://sqlite.org/rescode.html gives them as SQLITE_CONSTRAINT | (8 << 8) and (6 << 8).
        resultCode == SQLITE_CONSTRAINT | (8 << 8) || resultCode == SQLITE_CONSTRAINT | (6 << 8)
    }
}
