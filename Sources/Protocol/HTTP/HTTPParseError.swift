/// A request (or response) the parsers refuse. `status` is the HTTP status a server answers
/// with before closing the connection (400, 413, 414, 431, 501, 505); the response parser
/// uses 502, the status a gateway reports for a malformed upstream reply.
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public let status: Int
    /// What was wrong, for the log.
    public let reason: String

    public init(status: Int, _ reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(HTTPStatus.reason(status)): \(reason)" }

    static func bad(_ reason: String) -> HTTPParseError { HTTPParseError(status: 400, reason) }
}

/// Size limits of the parsers. The request defaults follow nginx: an 8 KiB request line,
/// 16 KiB of header fields, 100 fields and a 1 MiB body (`client_max_body_size 1m`).
public struct HTTPLimits: Equatable, Sendable {
    /// Longest request or status line, without its CRLF (request: 414 beyond).
    public var maxStartLineBytes: Int
    /// Largest header block after the start line, line ends included (request: 431 beyond).
    public var maxHeaderBytes: Int
    /// Most header fields (request: 431 beyond).
    public var maxHeaderCount: Int
    /// Largest body, after chunked decoding (request: 413 beyond).
    public var maxBodyBytes: Int

    public init(maxStartLineBytes: Int, maxHeaderBytes: Int, maxHeaderCount: Int, maxBodyBytes: Int) {
        self.maxStartLineBytes = maxStartLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxBodyBytes = maxBodyBytes
    }

    /// What the server accepts from clients.
    public static let request = HTTPLimits(maxStartLineBytes: 8 * 1024, maxHeaderBytes: 16 * 1024,
                                           maxHeaderCount: 100, maxBodyBytes: 1024 * 1024)
    /// What a client accepts from servers: larger heads, and no body limit (HTTP-FLV never ends).
    public static let response = HTTPLimits(maxStartLineBytes: 8 * 1024, maxHeaderBytes: 64 * 1024,
                                            maxHeaderCount: 200, maxBodyBytes: Int.max)
}
