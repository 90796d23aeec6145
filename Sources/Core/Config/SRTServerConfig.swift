import Kernel

/// `srt_server { ... }` with SRS's defaults (`get_srto_*`, `get_srt_*` in srs_app_config.cpp);
/// every directive also reads `SRS_SRT_SERVER_<NAME>`. The libsrt options are `options`; the
/// master binds `listen` as UDP, one socket per worker slot.
public struct SRTServerConfig: Equatable, Sendable {
    public var enabled = false
    /// A UDP port, bound on the any-address (as SRS).
    public var port = 10080
    public var options = SRTSocketOptions()
    /// The app of a stream id that names only a stream.
    public var defaultApp = "live"

    public init() {}

    /// The UDP address the master binds when enabled.
    public var listen: ListenAddress { ListenAddress(port: port) }
}

/// A vhost's `srt { enabled; srt_to_rtmp; }`.
public struct VhostSRTConfig: Equatable, Sendable {
    /// SRT clients of this vhost are accepted (SRS: "srt disabled" otherwise).
    public var enabled = false
    /// SRT publishes feed the live source (RTMP, HTTP-FLV, HLS). Off is refused here: every
    /// player, SRT ones included, goes through the live source.
    public var toRTMP = true

    public init() {}
}

extension SRTServerConfig {
    init(_ r: ConfigReader) throws(ConfigError) {
        self.init()
        enabled = try r.bool("enabled", false)
        port = try r.int("listen", port, in: 1...65535)
        options.maxBandwidth = Int64(try r.int("maxbw", -1, in: -1...Int(Int32.max)))
        options.mss = try r.int("mss", options.mss, in: 76...65536)
        options.tsbpdMode = try r.bool("tsbpdmode", true)
        options.latencyMs = try r.int("latency", options.latencyMs, in: 0...60_000)
        options.recvLatencyMs = try r.int("recvlatency", options.recvLatencyMs, in: 0...60_000)
        options.peerLatencyMs = try r.int("peerlatency", options.peerLatencyMs, in: 0...60_000)
        // SRS 4 spelled it `tlpkdrop`.
        options.tooLatePacketDrop = try r.bool("tlpktdrop", try r.bool("tlpkdrop", true))
        options.connectTimeoutMs = try r.int("connect_timeout", options.connectTimeoutMs, in: 0...600_000)
        options.peerIdleTimeoutMs = try r.int("peer_idle_timeout", options.peerIdleTimeoutMs, in: 0...3_600_000)
        options.sendBufferBytes = try r.int("sendbuf", options.sendBufferBytes, in: 0...Int(Int32.max))
        options.recvBufferBytes = try r.int("recvbuf", options.recvBufferBytes, in: 0...Int(Int32.max))
        options.payloadSize = try r.int("payloadsize", options.payloadSize, in: 188...1456)
        options.passphrase = try r.string("passphrase", "")
        options.keyLength = try r.int("pbkeylen", 0, in: 0...32)
        defaultApp = try r.string("default_app", defaultApp)
        let location = r.block?.location ?? ""
        if !options.passphrase.isEmpty && !(10...79).contains(options.passphrase.utf8.count) {
            throw ConfigError(r.raw("passphrase")?.location ?? location, "srt_server passphrase must have 10 to 79 characters")
        }
        // libsrt's limit: a payload fits one packet of `mss` with its IP, UDP and SRT headers.
        guard options.payloadSize <= options.mss - 44 else {
            throw ConfigError(r.raw("payloadsize")?.location ?? location, "srt_server payloadsize \(options.payloadSize) exceeds mss \(options.mss) - 44")
        }
        guard [0, 16, 24, 32].contains(options.keyLength) else {
            throw ConfigError(r.raw("pbkeylen")?.location ?? location, "srt_server pbkeylen must be 0, 16, 24 or 32")
        }
        if defaultApp.isEmpty || defaultApp.contains("/") {
            throw ConfigError(r.raw("default_app")?.location ?? location, "srt_server default_app \"\(defaultApp)\" must be one name")
        }
    }
}

extension VhostSRTConfig {
    init(_ r: ConfigReader) throws(ConfigError) {
        self.init()
        enabled = try r.bool("enabled", false)
        toRTMP = try r.bool("srt_to_rtmp", true)
    }
}
