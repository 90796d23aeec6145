import Kernel

/// One `name=value` pair of a query string, decoded.
public struct HTTPQueryItem: Equatable, Sendable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A request line and its header fields.
public struct HTTPRequestHead: Equatable, Sendable {
    /// The method token, case-sensitive as sent (`GET`).
    public let method: String
    /// The request-target exactly as sent (`/api/v1/streams/?count=5`).
    public let target: String
    public let version: HTTPVersion
    public var headers: [HTTPHeader]
    /// The decoded, normalized path without the query (see `HTTPPath.normalize`); `*` for
    /// `OPTIONS *`. Safe to append to a document root.
    public let path: String
    /// The raw query after `?` (without it), empty when there is none.
    public let query: String
    /// The decoded query pairs, in order; `a&b=` gives ("a", "") and ("b", "").
    public let queryItems: [HTTPQueryItem]

    /// Builds a head from a request-target: origin form (`/path?query`), absolute form
    /// (`http://host/path`, whose authority is dropped), or `*` for OPTIONS. Throws 400 when
    /// the target is of another form, its path is refused by `HTTPPath.normalize`, or a decoded
    /// query name or value holds a control character (`?vhost=a%00b`, `?x=%0d%0a`): query
    /// values become stream params, vhosts and log text, where those are refused too.
    public init(method: String, target: String, version: HTTPVersion = .http1_1, headers: [HTTPHeader] = []) throws(HTTPParseError) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        if target == "*" {
            guard method == "OPTIONS" else { throw HTTPParseError.bad("request-target * with \(method)") }
            path = "*"
            query = ""
            queryItems = []
            return
        }
        var rest = Substring(target)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        for scheme in ["http://", "https://"] where HTTPSyntax.hasPrefixIgnoringCase(rest, scheme) {
            let authority = rest.dropFirst(scheme.count)
            let end = authority.firstIndex { $0 == "/" || $0 == "?" } ?? authority.endIndex
            guard end != authority.startIndex else { throw HTTPParseError.bad("absolute target without a host") }
            rest = authority[end...]
            if rest.first != "/" { rest = Substring("/" + rest) }
        }
        let q = rest.firstIndex(of: "?")
        let rawPath = q.map { rest[..<$0] } ?? rest
        guard rawPath.first == "/" else { throw HTTPParseError.bad("request-target is not a path") }
        guard let p = HTTPPath.normalize(rawPath) else { throw HTTPParseError.bad("refused path \(rawPath)") }
        path = p
        query = q.map { String(rest[rest.index(after: $0)...]) } ?? ""
        queryItems = query.split(separator: "&").map { pair in
            guard let eq = pair.firstIndex(of: "=") else { return HTTPQueryItem(HTTPPath.decodeQueryComponent(pair), "") }
            return HTTPQueryItem(HTTPPath.decodeQueryComponent(pair[..<eq]),
                                 HTTPPath.decodeQueryComponent(pair[pair.index(after: eq)...]))
        }
        if queryItems.contains(where: { ControlCharacter.contains(in: $0.name) || ControlCharacter.contains(in: $0.value) }) {
            throw HTTPParseError.bad("control character in the query of \(target)")
        }
    }

    /// The first value of header `name`, compared case-insensitively.
    public func header(_ name: String) -> String? { headers.firstValue(name) }

    /// Every value of header `name`, in order.
    public func headerValues(_ name: String) -> [String] { headers.values(name) }

    /// The decoded value of the first query item `name` (`+` is a space), or nil.
    public func queryValue(_ name: String) -> String? { queryItems.first { $0.name == name }?.value }

    /// Whether the connection stays open after this request: HTTP/1.1 unless `Connection: close`,
    /// HTTP/1.0 only with `Connection: keep-alive`.
    public var keepAlive: Bool { headers.keepAlive(version) }

    /// The head as sent by a client: request line, headers, blank line.
    public func encode() -> [UInt8] {
        var out: [UInt8] = []
        HTTPSyntax.appendSanitized("\(method) \(target) \(version)", to: &out)
        out += [0x0D, 0x0A]
        headers.encode(into: &out)
        out += [0x0D, 0x0A]
        return out
    }
}
