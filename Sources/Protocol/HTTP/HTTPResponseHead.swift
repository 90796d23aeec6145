/// A status line and its header fields: written by the server, parsed by clients.
public struct HTTPResponseHead: Equatable, Sendable {
    public var status: Int
    /// The reason phrase; `HTTPStatus.reason(status)` unless given.
    public var reason: String
    public var version: HTTPVersion
    public var headers: [HTTPHeader]

    public init(status: Int, reason: String? = nil, version: HTTPVersion = .http1_1, headers: [HTTPHeader] = []) {
        self.status = status
        self.reason = reason ?? HTTPStatus.reason(status)
        self.version = version
        self.headers = headers
    }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? { headers.firstValue(name) }

    /// Every value of header `name`, in order.
    public func headerValues(_ name: String) -> [String] { headers.values(name) }

    /// Whether the server keeps the connection open: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool { headers.keepAlive(version) }

    /// `HTTP/1.1 200 OK\r\n`, the headers, and the blank line. Control characters in the
    /// reason and headers are replaced by spaces.
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(64 + headers.count * 32)
        HTTPSyntax.appendSanitized("\(version) \(status) \(reason)", to: &out)
        out += [0x0D, 0x0A]
        headers.encode(into: &out)
        out += [0x0D, 0x0A]
        return out
    }
}
