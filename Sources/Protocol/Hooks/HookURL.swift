/// A hook URL from the config (`http://127.0.0.1:8085/api/v1/streams`), split for the client:
/// scheme, host (a name or an IP literal, without brackets), port (80 or 443 by default), and
/// the request target (path and query; `/` when empty).
public struct HookURL: Equatable, Sendable {
    public var scheme: String
    public var host: String
    public var port: Int
    public var target: String

    /// Why a URL cannot be used.
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        public let url: String
        public let reason: String
        public var description: String { "hook url \(url): \(reason)" }
    }

    /// Parses `http://host[:port][/path][?query]` (`https` parses, for the config to warn about).
    public init(parsing text: String) throws(Refusal) {
        func refuse(_ why: String) -> Refusal { Refusal(url: text, reason: why) }
        guard let sep = text.firstRange(of: "://") else { throw refuse("no scheme (http://...)") }
        scheme = text[..<sep.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { throw refuse("scheme \(scheme) is not http") }
        let rest = text[sep.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        var authority = rest[..<end]
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        let defaultPort = scheme == "https" ? 443 : 80
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw refuse("unclosed [ in the host") }
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                port = defaultPort
            } else {
                guard after.hasPrefix(":"), let p = Int(after.dropFirst()) else { throw refuse("bad port") }
                port = p
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            guard let p = Int(authority[authority.index(after: colon)...]) else { throw refuse("bad port") }
            port = p
        } else {
            host = String(authority)
            port = defaultPort
        }
        guard !host.isEmpty else { throw refuse("no host") }
        guard (1...65535).contains(port) else { throw refuse("port \(port) out of range") }
        var path = rest[end...]
        if let hash = path.firstIndex(of: "#") { path = path[..<hash] }
        target = path.isEmpty ? "/" : (path.hasPrefix("?") ? "/" + path : String(path))
        guard !target.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else { throw refuse("space or control character") }
    }

    /// The `Host` header: `host[:port]`, the port omitted when 80 (as SRS's client).
    public var hostHeader: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? h : "\(h):\(port)"
    }

    /// `http://...` or `https://...` (SRS's `srs_string_is_http`).
    public static func isHTTP(_ s: String) -> Bool { s.hasPrefix("http://") || s.hasPrefix("https://") }

    /// SRS's `on_hls_notify` URL: the configured one, or the segment's URI itself when that is an
    /// absolute URL, with `[server_id]`, `[service_id]`, `[app]`, `[stream]`, `[ts_url]` and
    /// `[param]` replaced, in that order, every occurrence (`srs_string_replace`).
    public static func notifyURL(template: String, server: HookServerIdentity, client: HookClient, tsURL: String) -> String {
        var url = isHTTP(tsURL) ? tsURL : template
        for (key, value) in [("[server_id]", server.serverID), ("[service_id]", server.serviceID), ("[app]", client.app),
                             ("[stream]", client.stream), ("[ts_url]", tsURL), ("[param]", client.param)] {
            url = replacingAll(key, with: value, in: url)
        }
        return url
    }

    private static func replacingAll(_ key: String, with value: String, in s: String) -> String {
        var out = ""
        var rest = Substring(s)
        while let r = rest.firstRange(of: key) {
            out += rest[..<r.lowerBound]
            out += value
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
