/// What an `http_hooks` call says about the client it is about: SRS's `SrsRequest` fields that
/// go into hook bodies, taken when the event happens (the client may be gone when it is sent).
public struct HookClient: Equatable, Sendable {
    /// The client's context id (SRS: `client_id`); for HLS and DVR, the publisher's.
    public var clientID: String
    public var ip: String
    /// The configured vhost the client resolved to (`__defaultVhost__` for unmatched hosts).
    public var vhost: String
    public var app: String
    public var stream: String
    /// The query of the app and stream, with its `?` (`?token=abc&x=1`), or empty.
    public var param: String
    public var tcUrl: String
    public var pageUrl: String
    /// The live source's id in the API (SRS: `stream_id`), when the stream is known.
    public var streamID: String?

    public init(clientID: String, ip: String, vhost: String, app: String, stream: String = "", param: String = "",
                tcUrl: String = "", pageUrl: String = "", streamID: String? = nil) {
        self.clientID = clientID
        self.ip = ip
        self.vhost = vhost
        self.app = app
        self.stream = stream
        self.param = param
        self.tcUrl = tcUrl
        self.pageUrl = pageUrl
        self.streamID = streamID
    }

    /// SRS's `stream_url` (`srs_generate_stream_url`): `/app/stream` on the default vhost,
    /// `vhost/app/stream` on others (no leading slash), the stream's extension dropped from its
    /// last dot (`/live/s2` for `s2.m3u8`, and for `a.b`: `/live/a`).
    public var streamURL: String {
        let prefix = vhost == Self.defaultVhost ? "" : vhost
        var name = Substring(stream)
        if let dot = name.lastIndex(of: ".") { name = name[..<dot] }
        return "\(prefix)/\(app)/\(name)"
    }

    static let defaultVhost = "__defaultVhost__"
}

/// Who sends the hooks: SRS's `server_id` (config `server_id`, else random per start) and
/// `service_id` (random per start).
public struct HookServerIdentity: Equatable, Sendable {
    public var serverID: String
    public var serviceID: String

    public init(serverID: String, serviceID: String) {
        self.serverID = serverID
        self.serviceID = serviceID
    }
}
