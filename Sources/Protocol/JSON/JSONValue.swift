/// A JSON value (RFC 8259). Objects keep their members in order, as written or parsed: SRS's
/// API answers read top-down (`code`, `server`, ... then data), and order costs nothing.
///
/// Integers are kept apart from doubles so that byte counts and ids print exactly
/// (`"recv_bytes":123456789012`). `.int(1) != .number(1)`: compare through `numberValue`.
/// Literals build values: `["code": 0, "urls": ["v1": "the api version 1.0"]]`. There is no
/// `nil` literal (use `.null`), so that `json["missing"] == nil` keeps meaning "absent".
public enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int64)
    /// A double; encoded in the shortest form that reads back the same, NaN and ±inf as null.
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([JSONMember])

    /// A double rounded to `decimals` places (at most 15), as SRS prints ratios and seconds
    /// (`"cpu_percent":0.02`, `"fragment":2`): `rounded(1/3)` encodes as `0.33`.
    public static func rounded(_ value: Double, decimals: Int = 2) -> JSONValue {
        guard value.isFinite else { return .number(value) }
        var scale = 1.0
        for _ in 0..<min(max(decimals, 0), 15) { scale *= 10 }
        let scaled = (value * scale).rounded()
        // Too large to have a fraction at this scale: the value is already as short as it gets.
        return scaled.magnitude < 1e15 ? .number(scaled / scale) : .number(value)
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var boolValue: Bool? { if case .bool(let b) = self { return b } else { return nil } }
    public var arrayValue: [JSONValue]? { if case .array(let a) = self { return a } else { return nil } }
    /// The members of an object, in order; nil for other values.
    public var members: [JSONMember]? { if case .object(let m) = self { return m } else { return nil } }
    public var isNull: Bool { self == .null }

    /// An `.int`, or a `.number` with an integral value that fits (`2.0` → 2).
    public var intValue: Int64? {
        switch self {
        case .int(let i): return i
        case .number(let d): return Int64(exactly: d)
        default: return nil
        }
    }

    /// A `.number`, or an `.int` as a double.
    public var numberValue: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .number(let d): return d
        default: return nil
        }
    }

    /// The member named `key` of an object; the last one when a name repeats (as JavaScript's
    /// `JSON.parse`). Nil for a missing key or a value that is not an object.
    public subscript(key: String) -> JSONValue? {
        members?.last { $0.name == key }?.value
    }

    /// The element at `index` of an array; nil when out of bounds or not an array.
    public subscript(index: Int) -> JSONValue? {
        guard case .array(let a) = self, a.indices.contains(index) else { return nil }
        return a[index]
    }
}

/// One `"name": value` member of a JSON object.
public struct JSONMember: Equatable, Sendable {
    public var name: String
    public var value: JSONValue

    public init(_ name: String, _ value: JSONValue) {
        self.name = name
        self.value = value
    }
}

// Literal conformances with concrete types only, so big nested literals type-check quickly.

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// An object whose members keep the literal's order.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(elements.map { JSONMember($0.0, $0.1) })
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

extension JSONValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) { self = .int(value) }
}

extension JSONValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .number(value) }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}
