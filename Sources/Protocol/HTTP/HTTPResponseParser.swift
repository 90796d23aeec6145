/// Parses HTTP/1.1 responses for clients (the edge calling an origin's API, pulling HTTP-FLV):
/// the status line, the headers, and a body framed by `Transfer-Encoding: chunked` (decoded),
/// `Content-Length`, or the end of the connection (`finish()`). Responses to HEAD, 204 and
/// 304 have no body; interim 1xx responses are skipped. Errors have status 502.
public struct HTTPResponseParser: Sendable {
    public enum Event: Equatable, Sendable {
        case head(HTTPResponseHead)
        /// Body bytes, decoded when chunked; may come in many pieces (an HTTP-FLV body never ends).
        case body([UInt8])
        case end
    }

    private enum State: Sendable {
        case head
        case body(HTTPBodyReader)
        case untilClose
        case closed
    }

    public let limits: HTTPLimits
    /// The method of the request being answered: a response to HEAD has no body.
    public var requestMethod: String
    /// Set once the stream is refused; every later call throws it again.
    public private(set) var error: HTTPParseError?
    private var state = State.head
    private var reader: HTTPHeadReader
    private var untilCloseBytes = 0

    public init(requestMethod: String = "GET", limits: HTTPLimits = .response) {
        self.requestMethod = requestMethod
        self.limits = limits
        reader = HTTPHeadReader(limits: limits, checksMethodEarly: false)
    }

    /// Parses `bytes` and returns the events they complete, in order.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws -> [Event] {
        if let e = error { throw e }
        var events: [Event] = []
        do throws(HTTPParseError) {
            var i = 0
            while i < bytes.count {
                switch state {
                case .head:
                    let (n, head) = try reader.consume(bytes, from: i)
                    i += n
                    if let head { try start(head, &events) }
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
                case .untilClose:
                    let n = bytes.count - i
                    guard n <= limits.maxBodyBytes - untilCloseBytes else {
                        throw HTTPParseError(status: 413, "body larger than \(limits.maxBodyBytes) bytes")
                    }
                    untilCloseBytes += n
                    events.append(.body(Array(UnsafeRawBufferPointer(rebasing: bytes[i...]))))
                    i = bytes.count
                case .closed:
                    throw HTTPParseError.bad("bytes after the connection was closed")
                }
            }
        } catch {
            let e = HTTPParseError(status: 502, error.reason)
            self.error = e
            throw e
        }
        return events
    }

    /// `feed` for bytes in an array.
    public mutating func feed(_ bytes: [UInt8]) throws -> [Event] {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    /// The server closed the connection: ends a body delimited by the close. Throws when a
    /// head or a length-delimited or chunked body is incomplete.
    public mutating func finish() throws -> [Event] {
        if let e = error { throw e }
        let incomplete: String
        switch state {
        case .untilClose:
            state = .closed
            return [.end]
        case .head where reader.isEmpty, .closed:
            state = .closed
            return []
        case .head: incomplete = "response head"
        case .body(let body): incomplete = body.incompleteDescription
        }
        let e = HTTPParseError(status: 502, "connection closed in the \(incomplete)")
        error = e
        throw e
    }

    private mutating func start(_ raw: HTTPHeadReader.Head, _ events: inout [Event]) throws(HTTPParseError) {
        let head = try Self.statusLine(raw.startLine, headers: raw.headers)
        switch head.status {
        case 101: throw HTTPParseError.bad("unexpected protocol switch")
        case 100..<200: return  // interim (100 Continue, 103 Early Hints): the real response follows
        default: break
        }
        events.append(.head(head))
        if requestMethod == "HEAD" || head.status == 204 || head.status == 304 {
            events.append(.end)
            return
        }
        let codings = head.headerValues("Transfer-Encoding")
        let lengths = head.headerValues("Content-Length")
        if !codings.isEmpty {
            if !lengths.isEmpty { throw HTTPParseError.bad("both Transfer-Encoding and Content-Length") }
            let coding = HTTPSyntax.trimmed(Substring(codings.joined(separator: ",")))
            guard HTTPSyntax.equalsIgnoringCase(String(coding), "chunked") else {
                throw HTTPParseError.bad("unsupported Transfer-Encoding \(coding)")
            }
            state = .body(HTTPBodyReader(chunkedMax: limits.maxBodyBytes))
        } else if !lengths.isEmpty {
            // Repeated identical lengths are allowed (RFC 9110 §8.6), different ones are not.
            let values = Set(lengths.flatMap { $0.split(separator: ",") }.map { HTTPSyntax.trimmed($0) })
            guard values.count == 1, let v = values.first, let n = HTTPSyntax.decimal(v) else {
                throw HTTPParseError.bad("invalid Content-Length")
            }
            if n > limits.maxBodyBytes { throw HTTPParseError(status: 413, "body of \(n) bytes") }
            if n == 0 {
                events.append(.end)
            } else {
                state = .body(HTTPBodyReader(length: n))
            }
        } else {
            untilCloseBytes = 0
            state = .untilClose
        }
    }

    /// `HTTP-version SP 3DIGIT SP [reason]` (RFC 9112 §4); a missing reason is tolerated.
    static func statusLine(_ line: [UInt8], headers: [HTTPHeader]) throws(HTTPParseError) -> HTTPResponseHead {
        let parts = line.split(separator: 0x20, maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[1].count == 3, parts[1].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let status = Int(String(decoding: parts[1], as: UTF8.self)), status >= 100 && status <= 599 else {
            throw HTTPParseError.bad("malformed status line")
        }
        let version = try HTTPRequestParser.version(parts[0])
        let reason = parts.count == 3 ? String(decoding: parts[2], as: UTF8.self) : ""
        if reason.utf8.contains(where: { $0 != 0x09 && HTTPSyntax.isControl($0) }) {
            throw HTTPParseError.bad("control character in the reason phrase")
        }
        return HTTPResponseHead(status: status, reason: reason, version: version, headers: headers)
    }
}
