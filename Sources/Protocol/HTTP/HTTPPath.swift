import Kernel

/// Percent-decoding and normalization of request paths, refusing anything that could climb
/// out of a document root.
public enum HTTPPath {
    /// The decoded, normalized form of the path part of a request-target (starting with `/`),
    /// or nil when it must be refused.
    ///
    /// Each `/`-separated segment is percent-decoded exactly once (`%252e` becomes the literal
    /// file name `%2e`, never `.`). Empty and `.` segments are dropped (`//a/./b` → `/a/b`); a
    /// trailing slash is kept (`/api/v1/streams/`). Refused: a `..` segment however it is
    /// spelled (`..`, `%2e%2e`, `.%2E`), an encoded `/` (`%2f`, so `..%2f` cannot hide a
    /// segment), a backslash raw or encoded, NUL and the other control characters of
    /// `ControlCharacter` (C1 and U+2028/9 too), malformed escapes (`%zz`, a trailing `%`) and
    /// bytes that are not UTF-8.
    public static func normalize(_ rawPath: Substring) -> String? {
        guard rawPath.utf8.first == 0x2F else { return nil }
        var out = ""
        var endsWithSlash = false
        for raw in rawPath.utf8.dropFirst().split(separator: 0x2F, omittingEmptySubsequences: false) {
            guard let bytes = percentDecode(raw) else { return nil }
            if bytes.contains(where: { $0 == 0x2F || $0 == 0x5C || HTTPSyntax.isControl($0) }) { return nil }
            if bytes == [0x2E, 0x2E] { return nil }
            if bytes.isEmpty || bytes == [0x2E] {
                endsWithSlash = true
                continue
            }
            guard let segment = String(validating: bytes, as: UTF8.self), !ControlCharacter.contains(in: segment) else { return nil }
            out += "/"
            out += segment
            endsWithSlash = false
        }
        if out.isEmpty || endsWithSlash { out += "/" }
        return out
    }

    /// `normalize` for a whole string.
    public static func normalize(_ rawPath: String) -> String? { normalize(Substring(rawPath)) }

    /// Decodes `%XX` escapes; nil when an escape is malformed.
    static func percentDecode<C: Collection>(_ raw: C) -> [UInt8]? where C.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var i = raw.startIndex
        while i != raw.endIndex {
            let c = raw[i]
            raw.formIndex(after: &i)
            guard c == 0x25 else {
                out.append(c)
                continue
            }
            guard i != raw.endIndex, let hi = HTTPSyntax.hexValue(raw[i]) else { return nil }
            raw.formIndex(after: &i)
            guard i != raw.endIndex, let lo = HTTPSyntax.hexValue(raw[i]) else { return nil }
            raw.formIndex(after: &i)
            out.append(UInt8(hi << 4 | lo))
        }
        return out
    }

    /// Decodes a query component (`application/x-www-form-urlencoded` style): `+` is a space,
    /// malformed escapes are kept as they are, bytes that are not UTF-8 become U+FFFD.
    public static func decodeQueryComponent(_ raw: Substring) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(raw.utf8.count)
        let bytes = Array(raw.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x2B {
                out.append(0x20)
            } else if c == 0x25, i + 2 < bytes.count, let hi = HTTPSyntax.hexValue(bytes[i + 1]),
                      let lo = HTTPSyntax.hexValue(bytes[i + 2]) {
                out.append(UInt8(hi << 4 | lo))
                i += 2
            } else {
                out.append(c)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
