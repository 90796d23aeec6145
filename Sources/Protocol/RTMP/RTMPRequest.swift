/// Where a client wants to go: parsed from `connect`'s tcUrl and the stream name of
/// `publish`/`play`, SRS style: `rtmp://host[:port]/app[?vhost=v&k=v]` + `stream[?k=v]`.
/// The vhost is `?vhost=` (or `?domain=`) from the app or stream params, else the tcUrl host.
public struct RTMPRequest: Equatable, Sendable {
    public var tcUrl: String = ""
    public var schema: String = "rtmp"
    public var host: String = ""
    public var port: Int = 1935
    public var vhost: String = ""
    public var app: String = ""
    public var stream: String = ""
    /// The query string (with leading `?`) of the app and stream, as the client sent them.
    public var param: String = ""
    public var pageUrl: String = ""
    public var swfUrl: String = ""

    public init() {}

    /// Parses `connect`'s tcUrl and app.
    public mutating func setConnect(tcUrl: String, app appField: String?) {
        self.tcUrl = tcUrl
        var rest = Substring(tcUrl)
        if let r = rest.firstRange(of: "://") {
            schema = String(rest[..<r.lowerBound]).lowercased()
            rest = rest[r.upperBound...]
        }
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        let hostPort = rest[..<slash]
        var appPart = slash < rest.endIndex ? String(rest[rest.index(after: slash)...]) : ""
        (host, port) = Self.splitHostPort(String(hostPort), defaultPort: schema == "rtmp" ? 1935 : 80)
        if let a = appField, !a.isEmpty { appPart = a }
        var (a, q) = Self.splitQuery(appPart)
        // Old clients put the vhost as `app...vhost...v` (SRS supports it).
        if let r = a.firstRange(of: "...vhost...") {
            q = (q.isEmpty ? "?" : q + "&") + "vhost=" + a[r.upperBound...]
            a = String(a[..<r.lowerBound])
        }
        app = Self.trimSlashes(a)
        param = q
        vhost = Self.vhostParam(q) ?? host
    }

    /// Parses the stream name of `publish`/`play` (may carry `?params`, possibly `vhost=`).
    public mutating func setStream(_ name: String) {
        var (s, q) = Self.splitQuery(name)
        // `livestream.flv` style names are kept as sent, except an rtmp app path like `live/stream`.
        s = Self.trimSlashes(s)
        stream = s
        if !q.isEmpty {
            if let v = Self.vhostParam(q) { vhost = v }
            param = param.isEmpty ? q : param + "&" + q.dropFirst()
        }
    }

    /// The live source this request names.
    public var streamKey: StreamKey { StreamKey(vhost: vhost, app: app, stream: stream) }

    /// `host:port`, `[v6]:port` or `host` → (host, port).
    public static func splitHostPort(_ s: String, defaultPort: Int) -> (String, Int) {
        if s.hasPrefix("[") , let close = s.firstIndex(of: "]") {
            let h = String(s[s.index(after: s.startIndex)..<close])
            let after = s[s.index(after: close)...]
            if after.hasPrefix(":"), let p = Int(after.dropFirst()) { return (h, p) }
            return (h, defaultPort)
        }
        if let colon = s.lastIndex(of: ":"), s.firstIndex(of: ":") == colon {
            let p = Int(s[s.index(after: colon)...]) ?? defaultPort
            return (String(s[..<colon]), p)
        }
        return (s, defaultPort)
    }

    static func splitQuery(_ s: String) -> (String, String) {
        guard let q = s.firstIndex(of: "?") else { return (s, "") }
        return (String(s[..<q]), String(s[q...]))
    }

    static func trimSlashes(_ s: String) -> String {
        var sub = Substring(s)
        while sub.hasPrefix("/") { sub = sub.dropFirst() }
        while sub.hasSuffix("/") { sub = sub.dropLast() }
        return String(sub)
    }

    /// `vhost=` or `domain=` in a query string (`?a=b&vhost=x`, SRS also accepts `,`-separated).
    static func vhostParam(_ q: String) -> String? {
        let body = q.hasPrefix("?") ? q.dropFirst() : Substring(q)
        for item in body.split(whereSeparator: { $0 == "&" || $0 == "," }) {
            let kv = item.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == "vhost" || kv[0] == "domain", !kv[1].isEmpty { return String(kv[1]) }
        }
        return nil
    }
}
