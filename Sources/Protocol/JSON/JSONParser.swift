/// Why a JSON text was refused, and where.
public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Byte offset in the input.
    public let offset: Int
    public let reason: String

    public var description: String { "json: \(reason) at byte \(offset)" }
}

extension JSONValue {
    /// Nesting deeper than this is refused (a `[[[[...` bomb would exhaust the stack).
    public static let defaultMaxDepth = 64
    /// Larger texts are refused before parsing.
    public static let defaultMaxBytes = 4 * 1024 * 1024

    /// Parses one JSON text (RFC 8259, strictly: no comments, no trailing commas, no leading
    /// zeros, no BOM, nothing but whitespace after the value). Numbers without fraction or
    /// exponent that fit become `.int`, the others `.number`; a number beyond the range of a
    /// double is refused. `\u` escapes must pair surrogates.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth,
                             maxBytes: Int = defaultMaxBytes) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth, maxBytes: maxBytes)
    }

    /// Parses UTF-8 bytes (an HTTP body); invalid UTF-8 in strings is refused.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth,
                             maxBytes: Int = defaultMaxBytes) throws(JSONParseError) -> JSONValue {
        guard bytes.count <= maxBytes else { throw JSONParseError(offset: 0, reason: "text larger than \(maxBytes) bytes") }
        var p = JSONParser(bytes: bytes, maxDepth: maxDepth)
        p.skipWhitespace()
        let v = try p.value(depth: 0)
        p.skipWhitespace()
        guard p.i == bytes.count else { throw p.fail("unexpected data after the value") }
        return v
    }
}

/// A recursive-descent parser over UTF-8 bytes; recursion is bounded by `maxDepth`.
struct JSONParser {
    /// Longest number literal accepted (a double needs 17 significant digits).
    static let maxNumberLength = 512

    let bytes: [UInt8]
    let maxDepth: Int
    var i = 0

    init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    func fail(_ reason: String, at offset: Int? = nil) -> JSONParseError {
        JSONParseError(offset: offset ?? i, reason: reason)
    }

    mutating func skipWhitespace() {
        while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x09 || bytes[i] == 0x0A || bytes[i] == 0x0D { i += 1 }
    }

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard i < bytes.count else { throw fail("unexpected end of text") }
        switch bytes[i] {
        case 0x7B: return try object(depth: depth + 1)
        case 0x5B: return try array(depth: depth + 1)
        case 0x22: return .string(try string())
        case 0x74: return try literal("true", .bool(true))
        case 0x66: return try literal("false", .bool(false))
        case 0x6E: return try literal("null", .null)
        case 0x2D, 0x30...0x39: return try number()
        default: throw fail("unexpected character")
        }
    }

    private mutating func literal(_ word: StaticString, _ v: JSONValue) throws(JSONParseError) -> JSONValue {
        let n = word.utf8CodeUnitCount
        guard i + n <= bytes.count, bytes[i..<(i + n)].elementsEqual(UnsafeBufferPointer(start: word.utf8Start, count: n))
        else { throw fail("invalid literal") }
        i += n
        return v
    }

    private mutating func array(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        i += 1
        var out: [JSONValue] = []
        skipWhitespace()
        if i < bytes.count && bytes[i] == 0x5D {
            i += 1
            return .array(out)
        }
        while true {
            skipWhitespace()
            out.append(try value(depth: depth))
            skipWhitespace()
            guard i < bytes.count else { throw fail("unterminated array") }
            let c = bytes[i]
            i += 1
            if c == 0x5D { return .array(out) }
            guard c == 0x2C else { throw fail("expected , or ] in an array", at: i - 1) }
        }
    }

    private mutating func object(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= maxDepth else { throw fail("nesting deeper than \(maxDepth)") }
        i += 1
        var out: [JSONMember] = []
        skipWhitespace()
        if i < bytes.count && bytes[i] == 0x7D {
            i += 1
            return .object(out)
        }
        while true {
            skipWhitespace()
            guard i < bytes.count, bytes[i] == 0x22 else { throw fail("expected a member name") }
            let name = try string()
            skipWhitespace()
            guard i < bytes.count, bytes[i] == 0x3A else { throw fail("expected : after a member name") }
            i += 1
            skipWhitespace()
            out.append(JSONMember(name, try value(depth: depth)))
            skipWhitespace()
            guard i < bytes.count else { throw fail("unterminated object") }
            let c = bytes[i]
            i += 1
            if c == 0x7D { return .object(out) }
            guard c == 0x2C else { throw fail("expected , or } in an object", at: i - 1) }
        }
    }

    /// A string starting at its opening quote.
    private mutating func string() throws(JSONParseError) -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated string", at: start) }
            let c = bytes[i]
            i += 1
            switch c {
            case 0x22:
                guard let s = String(validating: out, as: UTF8.self) else { throw fail("invalid UTF-8 in a string", at: start) }
                return s
            case 0x5C:
                try escape(into: &out)
            case 0x00..<0x20:
                throw fail("unescaped control character in a string", at: i - 1)
            default:
                out.append(c)
            }
        }
    }

    /// The escape after a backslash.
    private mutating func escape(into out: inout [UInt8]) throws(JSONParseError) {
        guard i < bytes.count else { throw fail("unterminated escape") }
        let c = bytes[i]
        i += 1
        switch c {
        case 0x22, 0x5C, 0x2F: out.append(c)
        case 0x62: out.append(0x08)
        case 0x66: out.append(0x0C)
        case 0x6E: out.append(0x0A)
        case 0x72: out.append(0x0D)
        case 0x74: out.append(0x09)
        case 0x75:
            var scalar = UInt32(try hex4())
            if scalar >= 0xD800 && scalar < 0xDC00 {
                guard i + 1 < bytes.count, bytes[i] == 0x5C, bytes[i + 1] == 0x75 else { throw fail("unpaired surrogate") }
                i += 2
                let low = UInt32(try hex4())
                guard low >= 0xDC00 && low < 0xE000 else { throw fail("unpaired surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if scalar >= 0xDC00 && scalar < 0xE000 {
                throw fail("unpaired surrogate")
            }
            guard let u = Unicode.Scalar(scalar) else { throw fail("invalid \\u escape") }
            UTF8.encode(u) { out.append($0) }
        default:
            throw fail("invalid escape", at: i - 1)
        }
    }

    private mutating func hex4() throws(JSONParseError) -> UInt16 {
        guard i + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var v: UInt16 = 0
        for k in 0..<4 {
            guard let d = hexDigit(bytes[i + k]) else { throw fail("invalid \\u escape", at: i + k) }
            v = v << 4 | UInt16(d)
        }
        i += 4
        return v
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    private mutating func number() throws(JSONParseError) -> JSONValue {
        let start = i
        var integral = true
        if bytes[i] == 0x2D { i += 1 }
        guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid number", at: start) }
        if bytes[i] == 0x30 {
            i += 1
            if i < bytes.count && isDigit(bytes[i]) { throw fail("leading zero in a number", at: start) }
        } else {
            skipDigits()
        }
        if i < bytes.count && bytes[i] == 0x2E {
            i += 1
            guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid fraction", at: start) }
            skipDigits()
            integral = false
        }
        if i < bytes.count && (bytes[i] == 0x65 || bytes[i] == 0x45) {
            i += 1
            if i < bytes.count && (bytes[i] == 0x2B || bytes[i] == 0x2D) { i += 1 }
            guard i < bytes.count, isDigit(bytes[i]) else { throw fail("invalid exponent", at: start) }
            skipDigits()
            integral = false
        }
        guard i - start <= Self.maxNumberLength else { throw fail("number too long", at: start) }
        let text = String(decoding: bytes[start..<i], as: UTF8.self)
        if integral, let n = Int64(text) { return .int(n) }
        guard let d = Double(text), d.isFinite else { throw fail("number out of range", at: start) }
        return .number(d)
    }

    private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }

    private func hexDigit(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: return c - 0x30
        case 0x41...0x46: return c - 0x41 + 10
        case 0x61...0x66: return c - 0x61 + 10
        default: return nil
        }
    }

    private mutating func skipDigits() {
        while i < bytes.count && isDigit(bytes[i]) { i += 1 }
    }
}
