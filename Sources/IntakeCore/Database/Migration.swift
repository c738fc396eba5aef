/// One numbered step of the database schema. Versions start at 1 and never change once
/// released: a new schema is a new migration appended to `Schema.migrations`.
public struct Migration: Sendable {
    public let version: Int
    public let summary: String
    public let sql: String
}
