extension JSONValue: CustomStringConvertible {
    /// The compact encoding, as `encode()`.
    public var description: String { encode() }

    /// Compact JSON, no spaces, as SRS answers: `{"code":0,"server":"vid-x"}`. Strings are
    /// escaped per RFC 8259 (quote, backslash, control characters; U+2028 and U+2029 too, so
    /// the text is also safe inside JSONP); other non-ASCII characters are written as UTF-8.
    public func encode() -> String { String(decoding: encodedBytes(), as: UTF8.self) }

    /// `encode()` as UTF-8 bytes, ready for a response body.
    public func encodedBytes() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(to: &out)
        return out
    }

    private func write(to out: inout [UInt8]) {
        switch self {
        case .null:
            out += Self.nullBytes
        case .bool(let b):
            out += b ? Array("true".utf8) : Array("false".utf8)
        case .int(let i):
            out += String(i).utf8
        case .number(let d):
            // Swift prints the shortest digits that read back to the same double ("0.1",
            // "2.0", "1e-07"), all valid JSON numbers. JSON has no NaN or infinity.
            if d.isFinite { out += d.description.utf8 } else { out += Self.nullBytes }
        case .string(let s):
            Self.writeString(s, to: &out)
        case .array(let a):
            out.append(0x5B)
            for (i, v) in a.enumerated() {
                if i > 0 { out.append(0x2C) }
                v.write(to: &out)
            }
            out.append(0x5D)
        case .object(let members):
            out.append(0x7B)
            for (i, m) in members.enumerated() {
                if i > 0 { out.append(0x2C) }
                Self.writeString(m.name, to: &out)
                out.append(0x3A)
                m.value.write(to: &out)
            }
            out.append(0x7D)
        }
    }

    private static let nullBytes: [UInt8] = Array("null".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(0x22)
        let bytes = Array(s.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, 0x62]
            case 0x0C: out += [0x5C, 0x66]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0x00..<0x20: writeUnicodeEscape(UInt16(c), to: &out)
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                writeUnicodeEscape(bytes[i + 2] == 0xA8 ? 0x2028 : 0x2029, to: &out)
                i += 2
            default: out.append(c)
            }
            i += 1
        }
        out.append(0x22)
    }

    private static func writeUnicodeEscape(_ unit: UInt16, to out: inout [UInt8]) {
        out += [0x5C, 0x75]
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int(unit >> UInt16(shift)) & 0xF]) }
    }
}
