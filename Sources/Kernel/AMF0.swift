/// A key/value pair of an AMF0 object or ECMA array (order preserved).
public struct AMF0Property: Equatable, Sendable {
    public var key: String
    public var value: AMF0Value
    public init(_ key: String, _ value: AMF0Value) {
        self.key = key
        self.value = value
    }
}

/// An AMF0 value (Action Message Format 0, used by RTMP commands and metadata).
public indirect enum AMF0Value: Equatable, Sendable {
    case number(Double)
    case boolean(Bool)
    case string(String)
    case object([AMF0Property])
    case null
    case undefined
    case ecmaArray([AMF0Property])
    case strictArray([AMF0Value])
    case date(Double)

    /// The first property named `key` of an object or ECMA array.
    public subscript(key: String) -> AMF0Value? {
        properties?.first { $0.key == key }?.value
    }

    public var stringValue: String? { if case .string(let s) = self { return s } else { return nil } }
    public var numberValue: Double? { if case .number(let n) = self { return n } else { return nil } }
    public var boolValue: Bool? { if case .boolean(let b) = self { return b } else { return nil } }

    /// Properties of an object or ECMA array.
    public var properties: [AMF0Property]? {
        switch self {
        case .object(let p), .ecmaArray(let p): return p
        default: return nil
        }
    }

    /// A copy with `key` set (replaced in place, or appended) on an object or ECMA array.
    public func setting(_ key: String, _ value: AMF0Value) -> AMF0Value {
        guard var props = properties else { return self }
        if let i = props.firstIndex(where: { $0.key == key }) {
            props[i].value = value
        } else {
            props.append(AMF0Property(key, value))
        }
        return withProperties(props)
    }

    /// A copy without `key` on an object or ECMA array.
    public func removing(_ key: String) -> AMF0Value {
        guard let props = properties else { return self }
        return withProperties(props.filter { $0.key != key })
    }

    private func withProperties(_ p: [AMF0Property]) -> AMF0Value {
        if case .ecmaArray = self { return .ecmaArray(p) }
        return .object(p)
    }
}

/// AMF0 encoding and decoding. Decoding is bounded (depth, counts) and never traps on bad input.
public enum AMF0 {
    static let maxDepth = 32
    static let maxElements = 65536

    enum Marker {
        static let number: UInt8 = 0, boolean: UInt8 = 1, string: UInt8 = 2, object: UInt8 = 3
        static let movieClip: UInt8 = 4, null: UInt8 = 5, undefined: UInt8 = 6, reference: UInt8 = 7
        static let ecmaArray: UInt8 = 8, objectEnd: UInt8 = 9, strictArray: UInt8 = 10, date: UInt8 = 11
        static let longString: UInt8 = 12, unsupported: UInt8 = 13, xmlDocument: UInt8 = 15, typedObject: UInt8 = 16
    }

    /// Decodes one value.
    public static func decode(_ reader: inout ByteReader) throws -> AMF0Value {
        try decode(&reader, depth: 0)
    }

    /// Decodes values until the end of `bytes`.
    public static func decodeAll(_ bytes: [UInt8]) throws -> [AMF0Value] {
        var r = ByteReader(bytes)
        var out: [AMF0Value] = []
        while !r.isAtEnd {
            out.append(try decode(&r, depth: 0))
            if out.count > maxElements { throw KernelError.invalid("amf0: too many values") }
        }
        return out
    }

    private static func decode(_ r: inout ByteReader, depth: Int) throws -> AMF0Value {
        if depth > maxDepth { throw KernelError.invalid("amf0: nesting deeper than \(maxDepth)") }
        let marker = try r.u8()
        switch marker {
        case Marker.number: return .number(try r.f64())
        case Marker.boolean: return .boolean(try r.u8() != 0)
        case Marker.string: return .string(try shortString(&r))
        case Marker.object: return .object(try properties(&r, depth: depth))
        case Marker.null: return .null
        case Marker.undefined, Marker.unsupported: return .undefined
        case Marker.reference:
            _ = try r.u16()
            return .undefined
        case Marker.ecmaArray:
            _ = try r.u32() // count hint: not trusted, properties run until the end marker.
            return .ecmaArray(try properties(&r, depth: depth))
        case Marker.strictArray:
            let n = Int(try r.u32())
            // Each element takes at least one byte: a larger count is a lie.
            if n > r.remaining || n > maxElements { throw KernelError.invalid("amf0: strict array of \(n)") }
            var items: [AMF0Value] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try decode(&r, depth: depth + 1)) }
            return .strictArray(items)
        case Marker.date:
            let ms = try r.f64()
            _ = try r.u16()
            return .date(ms)
        case Marker.longString, Marker.xmlDocument:
            let n = Int(try r.u32())
            return .string(String(decoding: try r.read(n), as: UTF8.self))
        case Marker.typedObject:
            _ = try shortString(&r)
            return .object(try properties(&r, depth: depth))
        default:
            throw KernelError.invalid("amf0: unknown marker \(marker)")
        }
    }

    private static func shortString(_ r: inout ByteReader) throws -> String {
        let n = Int(try r.u16())
        return String(decoding: try r.read(n), as: UTF8.self)
    }

    /// Properties until the empty-key end marker (00 00 09). Input that ends right where the
    /// marker should be is accepted: some encoders omit it at the end of a message.
    private static func properties(_ r: inout ByteReader, depth: Int) throws -> [AMF0Property] {
        var props: [AMF0Property] = []
        while true {
            if r.isAtEnd { return props }
            let key = try shortString(&r)
            if key.isEmpty {
                if r.isAtEnd { return props }
                if try r.peekU8() == Marker.objectEnd {
                    try r.skip(1)
                    return props
                }
            }
            props.append(AMF0Property(key, try decode(&r, depth: depth + 1)))
            if props.count > maxElements { throw KernelError.invalid("amf0: too many properties") }
        }
    }

    /// Appends the encoding of `value`.
    public static func encode(_ value: AMF0Value, into w: inout ByteWriter) {
        switch value {
        case .number(let n):
            w.u8(Marker.number)
            w.f64(n)
        case .boolean(let b):
            w.u8(Marker.boolean)
            w.u8(b ? 1 : 0)
        case .string(let s):
            let utf8 = Array(s.utf8)
            if utf8.count > 0xFFFF {
                w.u8(Marker.longString)
                w.u32(UInt32(utf8.count))
            } else {
                w.u8(Marker.string)
                w.u16(UInt16(utf8.count))
            }
            w.append(utf8)
        case .object(let props):
            w.u8(Marker.object)
            encodeProperties(props, into: &w)
        case .null:
            w.u8(Marker.null)
        case .undefined:
            w.u8(Marker.undefined)
        case .ecmaArray(let props):
            w.u8(Marker.ecmaArray)
            w.u32(UInt32(props.count))
            encodeProperties(props, into: &w)
        case .strictArray(let items):
            w.u8(Marker.strictArray)
            w.u32(UInt32(items.count))
            for v in items { encode(v, into: &w) }
        case .date(let ms):
            w.u8(Marker.date)
            w.f64(ms)
            w.u16(0)
        }
    }

    /// The encoding of several values, back to back (a command or data message payload).
    public static func encode(_ values: [AMF0Value]) -> [UInt8] {
        var w = ByteWriter(capacity: 128)
        for v in values { encode(v, into: &w) }
        return w.bytes
    }

    private static func encodeProperties(_ props: [AMF0Property], into w: inout ByteWriter) {
        for p in props {
            let key = Array(p.key.utf8.prefix(0xFFFF))
            w.u16(UInt16(key.count))
            w.append(key)
            encode(p.value, into: &w)
        }
        w.u16(0)
        w.u8(Marker.objectEnd)
    }
}
