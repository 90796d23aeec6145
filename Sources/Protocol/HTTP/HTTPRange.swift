/// A `Range` request header resolved against a file size (RFC 9110 §14).
public enum HTTPRange: Equatable, Sendable {
    /// Serve the whole file (200): no Range, a unit other than bytes, a syntactically invalid
    /// range, or several ranges (multipart/byteranges is not supported; ignoring the header is
    /// allowed by RFC 9110 §14.2, and players ask for one range).
    case full
    /// Serve bytes `first...last` (206), both inclusive and inside the file.
    case partial(Int, Int)
    /// No byte of the file is in the range (416 with `Content-Range: bytes */size`).
    case unsatisfiable

    /// Resolves `bytes=a-b`, `bytes=a-` and `bytes=-n` (the last n bytes) for a file of `size`
    /// bytes; the end is clamped to the file.
    public static func parse(_ header: String?, size: Int) -> HTTPRange {
        guard let header else { return .full }
        let h = HTTPSyntax.trimmed(Substring(header))
        guard HTTPSyntax.hasPrefixIgnoringCase(h, "bytes=") else { return .full }
        let spec = HTTPSyntax.trimmed(h.dropFirst("bytes=".count))
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return .full }
        let a = HTTPSyntax.trimmed(spec[..<dash])
        let b = HTTPSyntax.trimmed(spec[spec.index(after: dash)...])
        if a.isEmpty {
            guard let n = digits(b) else { return .full }
            if n == 0 || size <= 0 { return .unsatisfiable }
            return .partial(max(0, size - n), size - 1)
        }
        guard let first = digits(a) else { return .full }
        var last = Int.max
        if !b.isEmpty {
            guard let l = digits(b) else { return .full }
            last = l
        }
        if last < first { return .full }
        if first >= size { return .unsatisfiable }
        return .partial(first, min(last, size - 1))
    }

    /// A decimal of digits only, saturating at Int.max (a huge end just means "to the end").
    private static func digits(_ s: Substring) -> Int? {
        guard !s.isEmpty else { return nil }
        var n = 0
        for c in s.utf8 {
            guard c >= 0x30 && c <= 0x39 else { return nil }
            let (m, o1) = n.multipliedReportingOverflow(by: 10)
            let (r, o2) = m.addingReportingOverflow(Int(c - 0x30))
            n = o1 || o2 ? Int.max : r
        }
        return n
    }
}
