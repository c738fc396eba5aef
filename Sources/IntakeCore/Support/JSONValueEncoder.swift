/// Turns an `Encodable` value into a `JSONValue` directly, without JSON text in between.
///
/// The metadata and analysis stages need each result twice: as a `JSONValue` for the event's
/// payload and as text for the database. Foundation's `JSONEncoder` followed by a parse of its
/// text took about 4 % of the daemon's profile samples over 1,000 camera JPEGs, this encoder
/// and `JSONValue.text()` less than half of that, for the same text (sorted keys, nil
/// optionals left out) from the types the stages encode.
///
/// Numbers: integer types become `.int`, `Double` and `Float` become `.double` (written as an
/// integer when whole, as `JSONEncoder` writes them; a `Float` by its shortest decimal form).
/// An unsigned value above `Int64.max` cannot be represented and throws
/// `EncodingError.invalidValue`.
///
/// Known limitation: only what `ImageMetadata` and `ImageAnalysis` hold (strings, integers,
/// finite doubles, optionals, nested structures, arrays and string-keyed dictionaries) is
/// written as `JSONEncoder` writes it. `Data` comes out as an array of bytes rather than
/// base64, `URL` and `Decimal` as their coded parts rather than a string and a number, NaN and
/// infinity as `null` rather than an error, and a nested value that encodes nothing is left
/// out of an object (`null` in an array) where `JSONEncoder` writes `{}`.
enum JSONValueEncoder {
    /// The value `value` encodes to; an object when it encodes nothing at all.
    static func encode(_ value: some Encodable) throws -> JSONValue {
        let node = Node()
        try node.fill(with: value, path: [])
        return node.resolve() ?? .object([:])
    }

    /// One value being built: a scalar, or the items or members written into it so far.
    private final class Node {
        var scalar: JSONValue?
        var items: [Node]?
        var members: [String: Node]?

        func resolve() -> JSONValue? {
            if let members {
                return .object(members.compactMapValues { $0.resolve() })
            }
            if let items {
                return .array(items.map { $0.resolve() ?? .null })
            }
            return scalar
        }

        /// Writes `value` into this node: a scalar directly, anything else through its
        /// `encode`.
        func fill(with value: some Encodable, path: [any CodingKey]) throws {
            if let scalar = try Self.scalar(value, path: path) {
                self.scalar = scalar
            } else {
                try value.encode(to: ValueEncoder(node: self, codingPath: path))
            }
        }

        /// `value` as a JSON scalar when it is one of the types JSON has a scalar for.
        static func scalar(_ value: some Encodable, path: [any CodingKey]) throws -> JSONValue? {
            switch value {
            case let text as String: return .string(text)
            case let flag as Bool: return .bool(flag)
            case let number as Double: return .double(number)
            // `Double(number)` would write 0.1 as 0.10000000149011612.
            case let number as Float: return .double(Double("\(number)") ?? Double(number))
            case let number as Int: return .int(Int64(number))
            case let number as Int64: return .int(number)
            case let number as Int32: return .int(Int64(number))
            case let number as Int16: return .int(Int64(number))
            case let number as Int8: return .int(Int64(number))
            case let number as UInt8: return .int(Int64(number))
            case let number as UInt16: return .int(Int64(number))
            case let number as UInt32: return .int(Int64(number))
            case let number as UInt: return try exact(UInt64(number), path: path)
            case let number as UInt64: return try exact(number, path: path)
            case let json as JSONValue: return json
            default: return nil
            }
        }

        private static func exact(_ number: UInt64, path: [any CodingKey]) throws -> JSONValue {
            guard let signed = Int64(exactly: number) else {
                throw EncodingError.invalidValue(
                    number,
                    .init(codingPath: path, debugDescription: "\(number) is above Int64.max"))
            }
            return .int(signed)
        }
    }

    /// The `Encoder` handed to `encode(to:)`: every container it makes writes into `node`.
    private struct ValueEncoder: Encoder {
        let node: Node
        let codingPath: [any CodingKey]
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if node.members == nil { node.members = [:] }
            return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if node.items == nil { node.items = [] }
            return Unkeyed(node: node, codingPath: codingPath)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer {
            Single(node: node, codingPath: codingPath)
        }
    }

    /// Members of an object. The generic `encode` also stands for the protocol's typed
    /// overloads (`Bool`, `String`, `Int`, ...): it sorts out scalars itself.
    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let codingPath: [any CodingKey]

        /// The encoder of a new member `name` (at `key` in coding paths).
        private func member(_ name: String, _ key: any CodingKey) -> ValueEncoder {
            let child = Node()
            node.members?[name] = child
            return ValueEncoder(node: child, codingPath: codingPath + [key])
        }

        mutating func encodeNil(forKey key: Key) throws {
            member(key.stringValue, key).node.scalar = .null
        }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            let encoder = member(key.stringValue, key)
            try encoder.node.fill(with: value, path: encoder.codingPath)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            member(key.stringValue, key).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            member(key.stringValue, key).unkeyedContainer()
        }

        /// The superclass's part goes under the member `super`, as with `JSONEncoder`; the
        /// type's own keys need not include it.
        mutating func superEncoder() -> any Encoder {
            member("super", Name.superKey)
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            member(key.stringValue, key)
        }
    }

    /// Items of an array, in order.
    private struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]
        var count: Int { node.items?.count ?? 0 }

        /// The encoder of a new last item, whose key in coding paths is its index.
        private func item() -> ValueEncoder {
            let path = codingPath + [Index(intValue: count)]
            let child = Node()
            node.items?.append(child)
            return ValueEncoder(node: child, codingPath: path)
        }

        mutating func encodeNil() throws { item().node.scalar = .null }

        mutating func encode<T: Encodable>(_ value: T) throws {
            let encoder = item()
            try encoder.node.fill(with: value, path: encoder.codingPath)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type
        ) -> KeyedEncodingContainer<NestedKey> {
            item().container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            item().unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { item() }
    }

    /// A single value: a scalar, or whatever the value's own `encode` writes into this node.
    private struct Single: SingleValueEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.scalar = .null }

        mutating func encode<T: Encodable>(_ value: T) throws {
            try node.fill(with: value, path: codingPath)
        }
    }

    /// The key `super`, for `superEncoder()`.
    private struct Name: CodingKey {
        static let superKey = Name(stringValue: "super")
        let stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { return nil }
    }

    /// An array index as a coding key.
    private struct Index: CodingKey {
        let intValue: Int?
        var stringValue: String { intValue.map(String.init) ?? "" }
        init(intValue: Int) { self.intValue = intValue }
        init?(stringValue: String) { return nil }
    }
}
