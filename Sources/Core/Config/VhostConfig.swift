import Kernel

/// `vhost name { ... }` with SRS's defaults.
public struct VhostConfig: Equatable, Sendable {
    /// The vhost that serves every host name without a vhost of its own.
    public static let defaultName = "__defaultVhost__"

    public var name: String
    public var enabled = true
    public var cluster = ClusterConfig()
    public var play = PlayConfig()
    public var publish = PublishConfig()
    public var hls = HLSConfig()
    public var httpRemux = HTTPRemuxConfig()
    /// `dvr { enabled; ... }`: whether streams published here are recorded, and how.
    public var dvrEnabled = false
    public var dvr = DVRConfig()
    public var forward = ForwardConfig()
    public var ingests: [IngestConfig] = []
    public var transcodes: [TranscodeConfig] = []
    public var exec = ExecConfig()
    public var hooks = HooksConfig()
    public var security = SecurityConfig()
    public var srt = VhostSRTConfig()

    public init(name: String) { self.name = name }
}

/// `cluster { ... }`: an origin (mode local) or an edge pulling from origins (mode remote).
public struct ClusterConfig: Equatable, Sendable {
    public enum Mode: String, Equatable, Sendable { case local, remote }
    public var mode: Mode = .local
    /// Upstream origins of an edge, tried round-robin (`origin a:1935 b;`).
    public var origins: [HostPort] = []
    /// Edge: connect to the origin with the client's tcUrl, so the origin authenticates it.
    public var tokenTraverse = false
    /// Edge: the vhost to ask the origin for (default: the client's).
    public var upstreamVhost: String?
    /// Origin cluster: ask `coworkers` where a stream is published and redirect players there.
    public var originCluster = false
    /// Coworkers' HTTP API addresses (`coworkers a:1985 b:1985;`). A name may resolve to many
    /// addresses (a K8s headless Service): each is asked.
    public var coworkers: [HostPort] = []
    /// Edge upstream protocol (`rtmp`; `flv` pulls HTTP-FLV).
    public var upstreamProtocol = "rtmp"

    public init() {}

    public var isEdge: Bool { mode == .remote }
}

/// `play { ... }`.
public struct PlayConfig: Equatable, Sendable {
    public var gopCache = true
    public var gopCacheMaxFrames = 2500
    /// Seconds of media a player may have queued before it is dropped to the next keyframe.
    public var queueLength = 30.0
    public var mwLatencyMs = 350
    public var mwMsgs = 8
    /// The vhost's `tcp_nodelay` (SRS's default off: a player's small writes may wait for the
    /// previous segment's ACK, Nagle's algorithm). On: `TCP_NODELAY` on players' sockets.
    public var tcpNoDelay = false
    /// SRS's upper bound of `mw_msgs` (`SRS_PERF_MW_MSGS`).
    public static let maxMergedMessages = 128

    public init() {}
}

/// `publish { ... }`.
public struct PublishConfig: Equatable, Sendable {
    /// A publisher must send its first media within this (ms).
    public var firstPacketTimeoutMs = 20000
    /// ... and then never pause longer than this (ms).
    public var normalTimeoutMs = 5000

    public init() {}
}

/// `hls { ... }`, SRS's defaults and meaning; durations in seconds.
public struct HLSConfig: Equatable, Sendable {
    public var enabled = false
    /// Target segment duration; segments are cut at the first keyframe after it.
    public var fragment = 10.0
    /// `#EXT-X-TARGETDURATION` is `fragment * tdRatio` rounded up (at least the longest segment).
    public var tdRatio = 1.0
    /// Audio-only streams (no keyframes to cut at) are cut every `fragment * aofRatio` seconds.
    public var aofRatio = 2.1
    /// Seconds of segments the playlist keeps.
    public var window = 60.0
    public var path = "./objs/nginx/html"
    public var m3u8File = "[app]/[stream].m3u8"
    public var tsFile = "[app]/[stream]-[seq].ts"
    /// Prefix of segment URIs in the playlist (a CDN base URL, say).
    public var entryPrefix = ""
    /// Remove segments that left the window.
    public var cleanup = true
    /// Seconds after unpublish before the playlist and segments are removed (0 = never).
    public var dispose = 120.0
    /// Start segments at keyframes.
    public var waitKeyframe = true

    public init() {}
}

/// `http_remux { ... }`: HTTP-FLV (and HTTP-TS, HTTP-AAC, HTTP-MP3) live streaming.
public struct HTTPRemuxConfig: Equatable, Sendable {
    public var enabled = false
    /// `[vhost]/[app]/[stream].flv`: the URL a stream is played at (`[vhost]/` is dropped for the
    /// default vhost); its extension chooses the format (`.flv`, `.ts`, `.aac`, `.mp3`).
    public var mount = "[vhost]/[app]/[stream].flv"
    public var hasAudio = true
    public var hasVideo = true
    /// Beyond SRS (which holds such a request without a bound): how long a player of a stream
    /// nobody publishes yet waits for the publisher before it gets 404 (ms; 0: 404 at once).
    public var publishWaitMs = 30_000

    public init() {}

    /// The format the mount serves (its extension; validated when the config is read).
    public var format: LiveRemuxFormat { LiveRemuxFormat(mount: mount) ?? .flv }
}
