import Foundation

/// A value bound to a statement parameter.
public enum DatabaseValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)

    /// `.text` or `.null`.
    public static func optional(_ text: String?) -> DatabaseValue {
        text.map { .text($0) } ?? .null
    }

    /// `.integer` or `.null`.
    public static func optional(_ number: Int64?) -> DatabaseValue {
        number.map { .integer($0) } ?? .null
    }

    /// `.real` or `.null`.
    public static func optional(_ number: Double?) -> DatabaseValue {
        number.map { .real($0) } ?? .null
    }
}

extension DatabaseValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
}
