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
        try value.encode(to: ValueEncoder(node: node, codingPath: []))
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

        /// The node for `value`: primitives directly, everything else through its `encode`.
        static func of(_ value: some Encodable, path: [any CodingKey]) throws -> Node {
            let node = Node()
            if let scalar = try Self.scalar(value, path: path) {
                node.scalar = scalar
            } else {
                try value.encode(to: ValueEncoder(node: node, codingPath: path))
            }
            return node
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

        private func put(_ child: Node, _ key: Key) { node.members?[key.stringValue] = child }

        mutating func encodeNil(forKey key: Key) throws {
            let child = Node()
            child.scalar = .null
            put(child, key)
        }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            put(try Node.of(value, path: codingPath + [key]), key)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            let child = Node()
            put(child, key)
            return ValueEncoder(node: child, codingPath: codingPath + [key])
                .container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = Node()
            put(child, key)
            return ValueEncoder(node: child, codingPath: codingPath + [key]).unkeyedContainer()
        }

        /// The superclass's part goes under the member `super`, as with `JSONEncoder`; the
        /// type's own keys need not include it.
        mutating func superEncoder() -> any Encoder {
            let child = Node()
            node.members?["super"] = child
            return ValueEncoder(node: child, codingPath: codingPath + [Name.superKey])
        }

        mutating func superEncoder(forKey key: Key) -> any Encoder {
            let child = Node()
            put(child, key)
            return ValueEncoder(node: child, codingPath: codingPath + [key])
        }
    }

    /// Items of an array, in order.
    private struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]
        var count: Int { node.items?.count ?? 0 }

        /// The key of the next item in `codingPath`s: its index.
        private var next: Index { Index(intValue: count) }

        mutating func encodeNil() throws {
            let child = Node()
            child.scalar = .null
            node.items?.append(child)
        }

        mutating func encode<T: Encodable>(_ value: T) throws {
            // Made before the append: `next` reads the items that the append changes.
            let child = try Node.of(value, path: codingPath + [next])
            node.items?.append(child)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type
        ) -> KeyedEncodingContainer<NestedKey> {
            let child = Node()
            let path = codingPath + [next]
            node.items?.append(child)
            return ValueEncoder(node: child, codingPath: path).container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = Node()
            let path = codingPath + [next]
            node.items?.append(child)
            return ValueEncoder(node: child, codingPath: path).unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            let child = Node()
            let path = codingPath + [next]
            node.items?.append(child)
            return ValueEncoder(node: child, codingPath: path)
        }
    }

    /// A single value: a scalar, or whatever the value's own `encode` writes into this node.
    private struct Single: SingleValueEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.scalar = .null }

        mutating func encode<T: Encodable>(_ value: T) throws {
            if let scalar = try Node.scalar(value, path: codingPath) {
                node.scalar = scalar
            } else {
                try value.encode(to: ValueEncoder(node: node, codingPath: codingPath))
            }
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
