/// One header field, in the order it was received or is to be sent. Names keep their case;
/// lookups compare them ASCII case-insensitively (RFC 9110 §5.1).
public struct HTTPHeader: Equatable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The two HTTP/1.x versions this server speaks.
public enum HTTPVersion: Equatable, Sendable, CustomStringConvertible {
    case http1_0
    case http1_1

    public var description: String {
        switch self {
        case .http1_0: return "HTTP/1.0"
        case .http1_1: return "HTTP/1.1"
        }
    }
}

extension Array where Element == HTTPHeader {
    /// The first value of the field `name` (case-insensitive), or nil.
    func firstValue(_ name: String) -> String? {
        first { HTTPSyntax.equalsIgnoringCase($0.name, name) }?.value
    }

    /// Every value of the field `name` (case-insensitive), in order.
    func values(_ name: String) -> [String] {
        filter { HTTPSyntax.equalsIgnoringCase($0.name, name) }.map(\.value)
    }

    /// The comma-separated tokens of every `name` field, trimmed and lowercased
    /// (`Connection: Keep-Alive, Upgrade` → ["keep-alive", "upgrade"]).
    func tokens(_ name: String) -> [String] {
        values(name).flatMap { $0.split(separator: ",") }
            .map { HTTPSyntax.trimmed(Substring($0)).lowercased() }
            .filter { !$0.isEmpty }
    }

    /// Whether a message with these headers keeps the connection open: HTTP/1.1 unless
    /// `Connection: close`, HTTP/1.0 only with `Connection: keep-alive`.
    func keepAlive(_ version: HTTPVersion) -> Bool {
        let tokens = tokens("Connection")
        if tokens.contains("close") { return false }
        return version == .http1_1 || tokens.contains("keep-alive")
    }

    /// Encodes `Name: value\r\n` lines. CR, LF and other control bytes in names or values are
    /// replaced by spaces, so no value can split the head (response splitting).
    func encode(into out: inout [UInt8]) {
        for h in self {
            HTTPSyntax.appendSanitized(h.name, to: &out)
            out.append(0x3A)
            out.append(0x20)
            HTTPSyntax.appendSanitized(h.value, to: &out)
            out.append(0x0D)
            out.append(0x0A)
        }
    }
}

/// Byte-level helpers shared by the HTTP parsers and writers (RFC 9110 §5.6).
enum HTTPSyntax {
    /// `tchar` of RFC 9110 §5.6.2: the characters of methods and header names.
    static func isTokenChar(_ c: UInt8) -> Bool {
        switch c {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        case 0x21, 0x23, 0x24, 0x25, 0x26, 0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x5E, 0x5F, 0x60, 0x7C, 0x7E: return true
        default: return false
        }
    }

    static func isControl(_ c: UInt8) -> Bool { c < 0x20 || c == 0x7F }

    static func lower(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c + 0x20 : c }

    static func equalsIgnoringCase(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && zip(a.utf8, b.utf8).allSatisfy { lower($0) == lower($1) }
    }

    static func hasPrefixIgnoringCase(_ s: Substring, _ prefix: String) -> Bool {
        s.utf8.count >= prefix.utf8.count && zip(s.utf8, prefix.utf8).allSatisfy { lower($0) == lower($1) }
    }

    /// Drops spaces and tabs at both ends (optional whitespace, OWS).
    static func trimmed(_ s: Substring) -> Substring {
        var t = s
        while let c = t.utf8.first, c == 0x20 || c == 0x09 { t = t.dropFirst() }
        while let c = t.utf8.last, c == 0x20 || c == 0x09 { t = t.dropLast() }
        return t
    }

    static func hexValue(_ c: UInt8) -> Int? {
        switch c {
        case 0x30...0x39: return Int(c - 0x30)
        case 0x41...0x46: return Int(c - 0x41 + 10)
        case 0x61...0x66: return Int(c - 0x61 + 10)
        default: return nil
        }
    }

    /// A non-negative decimal made of digits only (no sign, no spaces), at most 18 digits so it
    /// cannot overflow; nil otherwise.
    static func decimal(_ s: Substring) -> Int? {
        guard !s.isEmpty, s.utf8.count <= 18 else { return nil }
        var n = 0
        for c in s.utf8 {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            n = n * 10 + Int(c - 0x30)
        }
        return n
    }

    static func appendSanitized(_ s: String, to out: inout [UInt8]) {
        for c in s.utf8 { out.append(c != 0x09 && isControl(c) ? 0x20 : c) }
    }
}
