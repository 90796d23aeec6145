import Kernel

/// SRS's "RTMP 302": an origin-cluster node that does not have a stream tells the player where it
/// is with an `onStatus` on stream 0: `{level: "error", code: "NetConnection.Connect.Rejected",
/// description: "RTMP 302 Redirect", ex: {code: 302, redirect: tcUrl, redirect2: full url}}`.
/// `redirect` is the tcUrl (`rtmp://ip:port/app`); `redirect2` the stream URL with its params.
public enum RTMPRedirect {
    public static let code = "NetConnection.Connect.Rejected"
    public static let description = "RTMP 302 Redirect"

    /// The `onStatus` message that redirects a player to `url` (`rtmp://ip:port/app/stream?params`).
    public static func status(url: String) -> RTMPMessage {
        let ex: AMF0Value = .object([AMF0Property("code", .number(302)),
                                     AMF0Property("redirect", .string(tcUrl(of: url))),
                                     AMF0Property("redirect2", .string(url))])
        return RTMPStatus.onStatus(streamID: 0, code: code, description: description, level: "error",
                                   extra: [AMF0Property("ex", ex)])
    }

    /// The redirect target of an `onStatus` (or `_error`) command: `ex.redirect2`, else
    /// `ex.redirect` (SRS 3 alpha), when the info object's level is `error`. Nil otherwise.
    public static func target(of cmd: RTMPCommand) -> String? {
        for info in [cmd.commandObject] + cmd.arguments {
            guard info["level"]?.stringValue == "error", let ex = info["ex"] else { continue }
            if let url = ex["redirect2"]?.stringValue, !url.isEmpty { return url }
            if let url = ex["redirect"]?.stringValue, !url.isEmpty { return url }
        }
        return nil
    }

    /// `rtmp://host:port/app` of `rtmp://host:port/app/stream?params` (the URL up to its last `/`
    /// before the query), as SRS's `srs_path_dirname`.
    public static func tcUrl(of url: String) -> String {
        let path = url.firstIndex(of: "?").map { url[..<$0] } ?? Substring(url)
        guard let slash = path.lastIndex(of: "/"), let scheme = path.firstRange(of: "://"),
              slash > scheme.upperBound else { return String(path) }
        return String(path[..<slash])
    }

    /// Host and port of an `rtmp://host[:port]/...` URL (`[v6]:port` too); port 1935 by default.
    /// Nil for a URL with a control character (a NUL would cut the host name short).
    public static func hostPort(of url: String) -> (host: String, port: Int)? {
        guard !ControlCharacter.contains(in: url), let scheme = url.firstRange(of: "://") else { return nil }
        let rest = url[scheme.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        let authority = String(rest[..<end])
        guard !authority.isEmpty else { return nil }
        let (host, port) = RTMPRequest.splitHostPort(authority, defaultPort: 1935)
        guard !host.isEmpty, port > 0, port <= 65535 else { return nil }
        return (host, port)
    }
}
