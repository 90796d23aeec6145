/// What a client-role `RTMPSession` connects to and does.
public struct RTMPClientOptions: Equatable, Sendable {
    /// Play the stream, publish it (FMLE style, as ffmpeg and OBS), or only `connect` (SRS's
    /// token-traverse check).
    public enum Mode: Equatable, Sendable { case play, publish, connectOnly }

    public var mode: Mode
    /// `connect`'s tcUrl and app.
    public var tcUrl: String
    public var app: String
    /// The `play`/`publish` name, with its `?params`.
    public var streamName: String
    /// `connect`'s flashVer: players say `LNX 9,0,124,2`, encoders `FMLE/3.0 (compatible; ...)`.
    public var flashVer: String
    /// The chunk size we send with, announced before `connect` when not the default 128: large
    /// chunks make forwarded media cheap to frame. 128...65536.
    public var chunkSize: Int
    /// The buffer length a player announces after `play` (some servers wait for it).
    public var bufferLengthMs: UInt32 = 3000

    /// `app` defaults to the tcUrl's path with its query (`appField`).
    public init(mode: Mode, tcUrl: String, app: String? = nil, streamName: String, flashVer: String, chunkSize: Int = 128) {
        self.mode = mode
        self.tcUrl = tcUrl
        self.app = app ?? Self.appField(of: tcUrl, fallback: "")
        self.streamName = streamName
        self.flashVer = flashVer
        self.chunkSize = max(128, min(chunkSize, 65536))
    }

    /// The `app` field of `connect`: the tcUrl's path with its query (as ffmpeg sends it), so a
    /// `?vhost=` or token in the tcUrl survives; `fallback` when the tcUrl has no path.
    public static func appField(of tcUrl: String, fallback: String) -> String {
        guard let scheme = tcUrl.firstRange(of: "://") else { return fallback }
        let rest = tcUrl[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return fallback }
        let app = rest[rest.index(after: slash)...]
        return app.isEmpty ? fallback : String(app)
    }
}
