/// An IPv4 or IPv6 address as bytes (4 or 16), parsed from text without the C library, and
/// networks (`10.0.0.0/8`, `fd00::/8`) to test addresses against.
public struct IPAddress: Equatable, Hashable, Sendable {
    public let bytes: [UInt8]

    public var isIPv4: Bool { bytes.count == 4 }

    /// Dotted quad (`10.1.2.3`: four decimal parts 0...255, no leading `+`), or IPv6 text with
    /// `::` and an optional dotted tail (`::ffff:10.1.2.3`); brackets and zone ids are refused.
    public init?(_ text: String) {
        if let v4 = Self.ipv4(Substring(text)) {
            bytes = v4
        } else if let v6 = Self.ipv6(Substring(text)) {
            bytes = v6
        } else {
            return nil
        }
    }

    init(bytes: [UInt8]) { self.bytes = bytes }

    /// The IPv4 address inside an IPv4-mapped IPv6 one (`::ffff:10.1.2.3`, how a dual-stack
    /// listener sees IPv4 clients), else nil.
    public var mappedIPv4: IPAddress? {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF else { return nil }
        return IPAddress(bytes: Array(bytes[12...]))
    }

    private static func ipv4(_ s: Substring) -> [UInt8]? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(p), n <= 255 else { return nil }
            out.append(UInt8(n))
        }
        return out
    }

    private static func ipv6(_ s: Substring) -> [UInt8]? {
        guard s.contains(":") else { return nil }
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var compressed = false
        var rest = s
        if let r = s.firstRange(of: "::") {
            compressed = true
            guard let h = groups(s[..<r.lowerBound]), let t = groups(s[r.upperBound...], allowIPv4Tail: true) else { return nil }
            head = h
            tail = t
            rest = ""
        }
        if !compressed {
            guard let all = groups(rest, allowIPv4Tail: true), all.count == 8 else { return nil }
            head = all
        } else if head.count + tail.count > 7 {
            return nil
        }
        let words = head + [UInt16](repeating: 0, count: compressed ? 8 - head.count - tail.count : 0) + tail
        guard words.count == 8 else { return nil }
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// Colon-separated hex groups (empty text: none); the last may be a dotted IPv4 (two groups).
    private static func groups(_ s: Substring, allowIPv4Tail: Bool = false) -> [UInt16]? {
        if s.isEmpty { return [] }
        let parts = s.split(separator: ":", omittingEmptySubsequences: false)
        var out: [UInt16] = []
        for (i, p) in parts.enumerated() {
            if i == parts.count - 1, allowIPv4Tail, p.contains(".") {
                guard let v4 = ipv4(p) else { return nil }
                out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                continue
            }
            guard !p.isEmpty, p.count <= 4, let n = UInt16(p, radix: 16) else { return nil }
            out.append(n)
        }
        return out
    }
}

/// An address and a prefix length: `10.0.0.0/8`, `fd00::/8`, a single address (`/32`, `/128`).
public struct IPNetwork: Equatable, Sendable {
    public let address: IPAddress
    public let prefixLength: Int

    /// `addr`, `addr/len` (IPv4 1...32, IPv6 0...128). IPv4 `/0` is refused: SRS takes it as no
    /// mask at all, so `deny play 0.0.0.0/0` would deny nobody; write `all` instead.
    public init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let a = IPAddress(String(parts[0])) else { return nil }
        let maxLength = a.isIPv4 ? 32 : 128
        if parts.count == 2 {
            guard !parts[1].isEmpty, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(parts[1]),
                  n <= maxLength, n >= (a.isIPv4 ? 1 : 0) else { return nil }
            prefixLength = n
        } else {
            prefixLength = maxLength
        }
        address = a
    }

    /// True when `ip` is in this network; an IPv4-mapped IPv6 client matches IPv4 networks.
    public func contains(_ ip: IPAddress) -> Bool {
        let candidate = address.isIPv4 ? (ip.isIPv4 ? ip : ip.mappedIPv4) : (ip.isIPv4 ? nil : ip)
        guard let c = candidate else { return false }
        var bits = prefixLength
        for i in 0..<address.bytes.count where bits > 0 {
            let mask: UInt8 = bits >= 8 ? 0xFF : UInt8(0xFF) << UInt8(8 - bits)
            if c.bytes[i] & mask != address.bytes[i] & mask { return false }
            bits -= 8
        }
        return true
    }
}
