/// The SRT `streamid` of a connecting client, read the way SRS reads it
/// (`srs_srt_streamid_info` and `srs_srt_streamid_to_request` in srs_app_srt_utility.cpp):
///
/// - The access control form `#!::key=value,...` (SRT's AccessControl.md): `r` the resource
///   (`app/stream`), `m` the mode (`publish`, or `request` to play; case-insensitive; anything
///   else is refused), `h` the vhost. Other keys (`u`, `s`, `t`, a `secret`...) become the
///   request's params. A `?` counts as a `,`, so `r=live/stream?secret=x` has a `secret` param.
/// - SRS's earlier forms: `h=live/livestream` (one slash: the resource, no vhost) and
///   `h=vhost/live/livestream` (two or more: vhost then resource).
/// - A plain `app/stream[?params]`, or a bare `stream` in `srt_server.default_app`. Without
///   `m=` a client plays, as in SRS.
/// - An empty stream id publishes `live/livestream` (SRS's default).
///
/// Params keep SRS's order (keys sorted, the last of a repeated key wins, `vhost=` from `h`
/// among them). Where SRS is looser, this is stricter or kinder, on purpose: names go through
/// `StreamName.refusal` (no control characters, no empty, `.` or `..` component); leading and
/// trailing slashes are trimmed (SRS would make `/live/x` app `` and stream `live/x`); an empty
/// stream is refused; a `vhost=` (or `domain=`) param names the vhost when `h` does not, as it
/// does for RTMP (SRS's SRT ignores it).
public struct SRTStreamID: Equatable, Sendable {
    public enum Mode: String, Equatable, Sendable {
        case publish
        /// Play (SRS's "pull").
        case request
    }

    public var mode: Mode
    /// The vhost the client named; empty when it named none (the server's host applies).
    public var vhost: String
    public var app: String
    public var stream: String
    /// The params as a query string with its leading `?` (RTMPRequest's form); empty if none.
    public var param: String

    /// What SRS uses for a client that sends no stream id.
    public static let defaultWhenEmpty = "#!::r=live/livestream,m=publish"
    /// libsrt's limit (SRTO_STREAMID holds at most 512 bytes).
    public static let maxLength = 512

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case tooLong(Int)
        case unknownMode(String)
        /// No resource (`r`, `h` with a path, or a plain name) or an empty stream name.
        case noStream
        case refused(StreamName.Refusal)

        public var description: String {
            switch self {
            case .tooLong(let n): return "stream id of \(n) bytes, more than \(SRTStreamID.maxLength)"
            case .unknownMode(let m): return "unknown mode m=\(m), not publish or request"
            case .noStream: return "no stream in the stream id"
            case .refused(let r): return r.description
            }
        }
    }

    public init(mode: Mode, vhost: String, app: String, stream: String, param: String) {
        self.mode = mode
        self.vhost = vhost
        self.app = app
        self.stream = stream
        self.param = param
    }

    /// Parses `streamid`; `defaultApp` is the app of a bare stream name (`srt_server.default_app`).
    public static func parse(_ streamid: String, defaultApp: String = "live") throws -> SRTStreamID {
        guard streamid.utf8.count <= maxLength else { throw ParseError.tooLong(streamid.utf8.count) }
        let text = streamid.isEmpty ? defaultWhenEmpty : streamid
        var mode = Mode.request
        var vhost = ""
        var resource: Substring
        var params: [String] = []
        if text.hasPrefix("#!::") {
            resource = ""
            for (key, value) in keyValues(text.dropFirst(4)) {
                switch key {
                case "h":
                    if let first = value.firstIndex(of: "/") {
                        if first != value.lastIndex(of: "/") {
                            vhost = String(value[..<first])
                            params.append("vhost=" + vhost)
                            resource = value[value.index(after: first)...]
                        } else {
                            resource = value
                        }
                    } else {
                        vhost = String(value)
                        params.append("vhost=" + vhost)
                    }
                case "r":
                    resource = value
                case "m":
                    guard let m = Mode(rawValue: value.lowercased()) else { throw ParseError.unknownMode(String(value)) }
                    mode = m
                default:
                    params.append(key + "=" + value)
                }
            }
        } else {
            resource = Substring(text)
        }
        // The resource may carry its own query (plain form): it goes after the keys' params.
        var query = ""
        if let q = resource.firstIndex(of: "?") {
            query = String(resource[resource.index(after: q)...])
            resource = resource[..<q]
        }
        while resource.hasPrefix("/") { resource = resource.dropFirst() }
        let app: String
        var stream: Substring
        if let slash = resource.firstIndex(of: "/") {
            app = String(resource[..<slash])
            stream = resource[resource.index(after: slash)...]
        } else {
            app = defaultApp
            stream = resource
        }
        while stream.hasSuffix("/") { stream = stream.dropLast() }
        guard !stream.isEmpty else { throw ParseError.noStream }
        if !query.isEmpty { params.append(query) }
        let param = params.isEmpty ? "" : "?" + params.joined(separator: "&")
        if vhost.isEmpty { vhost = vhostParam(params) ?? "" }
        if let refusal = StreamName.refusal(vhost: vhost, app: app, stream: String(stream), param: param) {
            throw ParseError.refused(refusal)
        }
        return SRTStreamID(mode: mode, vhost: vhost, app: app, stream: String(stream), param: param)
    }

    /// `key=value` items separated by `,`, `&`, `;` (or `?`), sorted by key, the last of a
    /// repeated key kept: SRS reads them into a std::map. An item without `=` has an empty value.
    static func keyValues(_ body: Substring) -> [(String, Substring)] {
        var map: [String: Substring] = [:]
        for item in body.split(whereSeparator: { $0 == "," || $0 == "&" || $0 == ";" || $0 == "?" }) {
            if let eq = item.firstIndex(of: "=") {
                map[String(item[..<eq])] = item[item.index(after: eq)...]
            } else {
                map[String(item)] = ""
            }
        }
        // std::map orders std::string keys by their bytes.
        return map.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value) }
    }

    /// `vhost=` or `domain=` among the params (as RTMP's `?vhost=`).
    static func vhostParam(_ params: [String]) -> String? {
        for item in params.flatMap({ $0.split(separator: "&") }) {
            let kv = item.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == "vhost" || kv[0] == "domain", !kv[1].isEmpty { return String(kv[1]) }
        }
        return nil
    }

    /// The request the server's sources, hooks and API work with: tcUrl `srt://host/app` as
    /// SRS makes it, the vhost the client named or else `host` (as an RTMP tcUrl's host).
    public func request(host: String, port: Int) -> RTMPRequest {
        var r = RTMPRequest()
        r.schema = "srt"
        r.host = host
        r.port = port
        r.vhost = vhost.isEmpty ? host : vhost
        r.app = app
        r.stream = stream
        r.param = param
        r.tcUrl = "srt://\(vhost.isEmpty ? host : vhost)/\(app)"
        return r
    }
}
