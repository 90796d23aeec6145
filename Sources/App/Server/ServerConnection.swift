/// A client connection the server tracks (for limits, the API, timeouts and graceful quit).
public protocol ServerConnection: AnyObject {
    /// SRS-style context id, also the client id in the API.
    var cid: String { get }
    /// Called about once a second with the monotonic time.
    func tick(now: Int64)
    /// Closes the connection now.
    func close()
    /// What the API shows of this client.
    var clientInfo: ClientInfo { get }
    /// During a graceful quit: true when closing this connection loses nothing (an idle HTTP
    /// keep-alive connection, a player of a stream nobody publishes any more).
    var isIdleForQuit: Bool { get }
    /// True for a sibling worker's relay pull: not a client (not in the API, not limited).
    var isInternal: Bool { get }
    /// Since when (monotonic ms) this connection waits for its client to start something (an
    /// RTMP handshake or commands before publish/play, an HTTP request head or body, a keep-alive
    /// wait); nil while it serves something (a player, a publisher, an API request) or waits on
    /// an upstream, and for internal connections. At capacity the longest waiting is evicted.
    var waitingSinceMs: Int64? { get }
    /// Logs why (with the client's address and how long it waited) and closes.
    func evict(_ why: String)
}

extension ServerConnection {
    public var isInternal: Bool { false }
}

/// A client as `/api/v1/clients` shows it.
public struct ClientInfo: Sendable {
    /// The `type` of an HTTP connection that is not a player: not a client in the API's lists.
    public static let apiType = "http-api"
    public var id: String
    public var vhost: String = ""
    public var app: String = ""
    public var stream: String = ""
    public var ip: String
    public var pageUrl: String = ""
    public var swfUrl: String = ""
    public var tcUrl: String = ""
    public var url: String = ""
    /// rtmp-play, flv-play, fmle-publish, flash-publish, ... (SRS names).
    public var type: String = "unknown"
    public var publish: Bool = false
    public var aliveMs: Int64 = 0
    public var sendBytes: UInt64 = 0
    public var recvBytes: UInt64 = 0
    public var streamID: String?
    public var recvKbps: Int = 0
    public var sendKbps: Int = 0
}
