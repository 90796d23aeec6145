/// Parses HTTP/1.1 requests from a byte stream, incrementally: bytes may be split anywhere,
/// and pipelined requests come out one after the other. Bytes in, events out; no I/O.
///
/// Framing follows RFC 9112 §6: a chunked body (decoded), a `Content-Length` body, or none.
/// Refused with the status a server should answer before closing (`HTTPParseError.status`):
/// a malformed request line or header (400), a request line over 8 KiB (414), header fields
/// over 16 KiB or more than 100 of them (431), a body over 1 MiB (413), a version other than
/// HTTP/1.0 and 1.1 (505), `Transfer-Encoding` with `Content-Length` or in HTTP/1.0 (400,
/// request smuggling), a transfer coding other than `chunked` (501, as nginx), an invalid or
/// repeated `Content-Length`, and a missing or repeated `Host` in HTTP/1.1 (400).
public struct HTTPRequestParser: Sendable {
    public enum Event: Equatable, Sendable {
        /// A request line and its headers.
        case head(HTTPRequestHead)
        /// Body bytes of the current request (decoded when chunked); may come in many pieces.
        case body([UInt8])
        /// The current request is complete.
        case end
    }

    private enum State: Sendable {
        case head
        case body(HTTPBodyReader)
    }

    public let limits: HTTPLimits
    /// Set once the stream is refused; every later `feed` throws it again.
    public private(set) var error: HTTPParseError?
    private var state = State.head
    private var reader: HTTPHeadReader

    public init(limits: HTTPLimits = .request) {
        self.limits = limits
        reader = HTTPHeadReader(limits: limits, checksMethodEarly: true)
    }

    /// True between requests, when no byte of a next request has arrived.
    public var isIdle: Bool {
        if case .head = state { return reader.isEmpty && error == nil }
        return false
    }

    /// Parses `bytes` and returns the events they complete, in order.
    ///
    /// Throws when the stream is refused. When complete requests precede the refused bytes in
    /// the same call, their events are returned first and the error is thrown by the next call
    /// (and is in `error` already), so that requests already received can still be answered.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws -> [Event] {
        if let e = error { throw e }
        var events: [Event] = []
        var answerable = 0
        var i = 0
        do throws(HTTPParseError) {
            while i < bytes.count {
                switch state {
                case .head:
                    let (n, head) = try reader.consume(bytes, from: i)
                    i += n
                    guard let head else { break }
                    try start(head, &events)
                case .body(var body):
                    let (n, piece, complete) = try body.read(bytes, from: i)
                    i += n
                    if !piece.isEmpty { events.append(.body(piece)) }
                    if complete {
                        events.append(.end)
                        state = .head
                    } else {
                        state = .body(body)
                    }
                }
                if case .end? = events.last { answerable = events.count }
            }
        } catch {
            self.error = error
            if answerable == 0 { throw error }
            return Array(events[..<answerable])
        }
        return events
    }

    /// `feed` for bytes in an array.
    public mutating func feed(_ bytes: [UInt8]) throws -> [Event] {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    /// Validates a complete head, emits it and sets up the body.
    private mutating func start(_ raw: HTTPHeadReader.Head, _ events: inout [Event]) throws(HTTPParseError) {
        let (method, target, version) = try Self.requestLine(raw.startLine)
        let headers = raw.headers
        let hosts = headers.values("Host")
        if hosts.count > 1 { throw HTTPParseError.bad("repeated Host header") }
        if hosts.isEmpty && version == .http1_1 { throw HTTPParseError.bad("HTTP/1.1 request without Host") }
        let lengths = headers.values("Content-Length")
        let codings = headers.values("Transfer-Encoding")
        var length = 0
        if !codings.isEmpty {
            if !lengths.isEmpty { throw HTTPParseError.bad("both Transfer-Encoding and Content-Length") }
            if version == .http1_0 { throw HTTPParseError.bad("Transfer-Encoding in an HTTP/1.0 request") }
            let coding = HTTPSyntax.trimmed(Substring(codings.joined(separator: ",")))
            guard HTTPSyntax.equalsIgnoringCase(String(coding), "chunked") else {
                throw HTTPParseError(status: 501, "unsupported Transfer-Encoding \(coding)")
            }
        } else if !lengths.isEmpty {
            if lengths.count > 1 { throw HTTPParseError.bad("repeated Content-Length") }
            guard let n = HTTPSyntax.decimal(Substring(lengths[0])) else { throw HTTPParseError.bad("invalid Content-Length") }
            if n > limits.maxBodyBytes { throw HTTPParseError(status: 413, "body of \(n) bytes over \(limits.maxBodyBytes)") }
            length = n
        }
        events.append(.head(try HTTPRequestHead(method: method, target: target, version: version, headers: headers)))
        if !codings.isEmpty {
            state = .body(HTTPBodyReader(chunkedMax: limits.maxBodyBytes))
        } else if length > 0 {
            state = .body(HTTPBodyReader(length: length))
        } else {
            events.append(.end)
        }
    }

    /// `method SP request-target SP HTTP-version`, single spaces (RFC 9112 §3).
    static func requestLine(_ line: [UInt8]) throws(HTTPParseError) -> (String, String, HTTPVersion) {
        let parts = line.split(separator: 0x20, omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty,
              parts[0].allSatisfy(HTTPSyntax.isTokenChar) else { throw HTTPParseError.bad("malformed request line") }
        // No controls, no spaces; raw non-ASCII must at least be UTF-8 (nginx takes it raw).
        guard !parts[1].contains(where: { $0 <= 0x20 || $0 == 0x7F }),
              let target = String(validating: parts[1], as: UTF8.self) else {
            throw HTTPParseError.bad("invalid character in the request target")
        }
        return (String(decoding: parts[0], as: UTF8.self), target, try version(parts[2]))
    }

    /// `HTTP/1.0` or `HTTP/1.1`; another `HTTP/d.d` is 505, anything else 400.
    static func version(_ v: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let prefix: [UInt8] = Array("HTTP/".utf8)
        guard v.starts(with: prefix) else { throw HTTPParseError.bad("malformed HTTP version") }
        let numbers = v.dropFirst(prefix.count).split(separator: 0x2E, omittingEmptySubsequences: false)
        guard numbers.count == 2, numbers.allSatisfy({ $0.count == 1 && $0.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } })
        else { throw HTTPParseError.bad("malformed HTTP version") }
        switch (Array(numbers[0]), Array(numbers[1])) {
        case ([0x31], [0x30]): return .http1_0
        case ([0x31], [0x31]): return .http1_1
        default: throw HTTPParseError(status: 505, "unsupported version \(String(decoding: v, as: UTF8.self))")
        }
    }
}
