import CSQLite
import Foundation

/// The current row of a stepping statement.
///
/// It reads the statement's current row, so it is valid only inside the closure that receives
/// it; keeping it past that reads whatever row the statement is on later.
public struct Row {
    let statement: Statement

    init(statement: Statement) {
        self.statement = statement
    }

    /// True when column `index` holds NULL.
    public func isNull(_ index: Int32) -> Bool {
        sqlite3_column_type(statement.handle, index) == SQLITE_NULL
    }

    public func int(_ index: Int32) -> Int64 {
        sqlite3_column_int64(statement.handle, index)
    }

    public func optionalInt(_ index: Int32) -> Int64? {
        isNull(index) ? nil : int(index)
    }

    public func double(_ index: Int32) -> Double {
        sqlite3_column_double(statement.handle, index)
    }

    public func optionalDouble(_ index: Int32) -> Double? {
        isNull(index) ? nil : double(index)
    }

    public func text(_ index: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement.handle, index) else { return "" }
        return String(cString: pointer)
    }

    public func optionalText(_ index: Int32) -> String? {
        isNull(index) ? nil : text(index)
    }

    public func blob(_ index: Int32) -> Data {
        let count = Int(sqlite3_column_bytes(statement.handle, index))
        guard count > 0, let pointer = sqlite3_column_blob(statement.handle, index) else {
            return Data()
        }
        return Data(bytes: pointer, count: count)
    }
}
