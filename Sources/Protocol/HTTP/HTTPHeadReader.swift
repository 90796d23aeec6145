/// Reads a start line and header fields incrementally, a byte at a time if need be, within
/// `HTTPLimits`. Lines may end with CRLF or a bare LF (as nginx tolerates); a CR anywhere else,
/// an obs-fold continuation line, a malformed field name and control characters in a value are
/// refused with 400. Shared by the request and response parsers.
struct HTTPHeadReader: Sendable {
    /// A complete head: the start line (without its line end) and the fields in order.
    struct Head {
        var startLine: [UInt8]
        var headers: [HTTPHeader]
    }

    /// Empty lines tolerated before a start line (RFC 9112 §2.2: some clients send a CRLF after a body).
    static let maxLeadingEmptyLines = 16

    let limits: HTTPLimits
    /// Requests are checked as they arrive: a method that is not a token fails at once.
    let checksMethodEarly: Bool
    private var line: [UInt8] = []
    private var startLine: [UInt8]?
    private var headers: [HTTPHeader] = []
    private var headerBytes = 0
    private var emptyLines = 0
    private var methodCheckedUpTo = 0
    private var methodEnded = false

    init(limits: HTTPLimits, checksMethodEarly: Bool) {
        self.limits = limits
        self.checksMethodEarly = checksMethodEarly
    }

    /// True when no byte of a next head has been read.
    var isEmpty: Bool { line.isEmpty && startLine == nil }

    /// Consumes bytes from `start` until a head is complete or the bytes end. Returns how many
    /// bytes were consumed and the head once complete (the reader is then ready for the next).
    mutating func consume(_ bytes: UnsafeRawBufferPointer, from start: Int) throws(HTTPParseError) -> (Int, Head?) {
        var i = start
        while i < bytes.count {
            var lf = i
            while lf < bytes.count && bytes[lf] != 0x0A { lf += 1 }
            try checkPartialLength(adding: lf - i)
            line.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<lf]))
            if checksMethodEarly && startLine == nil { try checkMethodSoFar() }
            guard lf < bytes.count else { return (bytes.count - start, nil) }
            i = lf + 1
            if let head = try endLine() { return (i - start, head) }
        }
        return (i - start, nil)
    }

    private func checkPartialLength(adding n: Int) throws(HTTPParseError) {
        if startLine == nil {
            // +1: the CR of a CRLF is only known to be one when the LF comes.
            if line.count + n > limits.maxStartLineBytes + 1 {
                throw HTTPParseError(status: 414, "start line longer than \(limits.maxStartLineBytes) bytes")
            }
        } else if headerBytes + line.count + n > limits.maxHeaderBytes {
            throw HTTPParseError(status: 431, "header fields larger than \(limits.maxHeaderBytes) bytes")
        }
    }

    /// The method must be a token; failing early stops binary garbage before 8 KiB of it pile up.
    private mutating func checkMethodSoFar() throws(HTTPParseError) {
        while !methodEnded && methodCheckedUpTo < line.count {
            let c = line[methodCheckedUpTo]
            methodCheckedUpTo += 1
            if c == 0x20 && methodCheckedUpTo > 1 || c == 0x0D {
                methodEnded = true
            } else if !HTTPSyntax.isTokenChar(c) {
                throw HTTPParseError.bad("malformed request line")
            }
        }
    }

    /// Handles one complete line; returns the head when it was the blank line ending it.
    private mutating func endLine() throws(HTTPParseError) -> Head? {
        if line.last == 0x0D { line.removeLast() }
        if line.contains(0x0D) { throw HTTPParseError.bad("bare CR in the head") }
        defer { line.removeAll(keepingCapacity: true) }
        guard let start = startLine else {
            methodCheckedUpTo = 0
            methodEnded = false
            if line.isEmpty {
                emptyLines += 1
                if emptyLines > Self.maxLeadingEmptyLines { throw HTTPParseError.bad("too many empty lines") }
                return nil
            }
            if line.count > limits.maxStartLineBytes {
                throw HTTPParseError(status: 414, "start line longer than \(limits.maxStartLineBytes) bytes")
            }
            startLine = line
            return nil
        }
        headerBytes += line.count + 2
        if headerBytes > limits.maxHeaderBytes {
            throw HTTPParseError(status: 431, "header fields larger than \(limits.maxHeaderBytes) bytes")
        }
        if line.isEmpty {
            let head = Head(startLine: start, headers: headers)
            reset()
            return head
        }
        headers.append(try Self.field(line))
        if headers.count > limits.maxHeaderCount {
            throw HTTPParseError(status: 431, "more than \(limits.maxHeaderCount) header fields")
        }
        return nil
    }

    private mutating func reset() {
        startLine = nil
        headers = []
        headerBytes = 0
        emptyLines = 0
    }

    /// `name ":" OWS value OWS` (RFC 9112 §5).
    static func field(_ line: [UInt8]) throws(HTTPParseError) -> HTTPHeader {
        if line.first == 0x20 || line.first == 0x09 { throw HTTPParseError.bad("obsolete line folding") }
        guard let colon = line.firstIndex(of: 0x3A), colon > 0 else { throw HTTPParseError.bad("header line without a name") }
        // A space before the colon is refused (RFC 9112 §5.1): proxies disagree on its meaning.
        guard line[..<colon].allSatisfy(HTTPSyntax.isTokenChar) else { throw HTTPParseError.bad("malformed header name") }
        var lo = colon + 1
        var hi = line.count
        while lo < hi && (line[lo] == 0x20 || line[lo] == 0x09) { lo += 1 }
        while hi > lo && (line[hi - 1] == 0x20 || line[hi - 1] == 0x09) { hi -= 1 }
        let value = line[lo..<hi]
        if value.contains(where: { $0 != 0x09 && HTTPSyntax.isControl($0) }) {
            throw HTTPParseError.bad("control character in a header value")
        }
        return HTTPHeader(String(decoding: line[..<colon], as: UTF8.self), String(decoding: value, as: UTF8.self))
    }
}
