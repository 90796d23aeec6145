/// libsrt's socket options as `srt_server { ... }` sets them, with SRS's defaults (`get_srto_*`
/// in srs_app_config.cpp). Plain values, in Kernel because two modules need them and neither may
/// import the other: Core reads them from the config (`SRTServerConfig.options`), the SRT module
/// sets them on sockets (`apply(to:)`, SRS's order: `SrsSrtAcceptor::set_srt_opt`).
public struct SRTSocketOptions: Equatable, Sendable {
    /// `maxbw`: SRTO_MAXBW in bytes/s; -1 infinite, 0 relative to the input rate.
    public var maxBandwidth: Int64 = -1
    /// `mss`: SRTO_MSS, the largest UDP packet (the peers use the lower of theirs).
    public var mss = 1500
    /// `tsbpdmode`: SRTO_TSBPDMODE, timestamp-based packet delivery.
    public var tsbpdMode = true
    /// `latency` (ms): SRTO_LATENCY.
    public var latencyMs = 120
    /// `recvlatency` (ms): SRTO_RCVLATENCY, the receiver's buffer for retransmissions.
    public var recvLatencyMs = 120
    /// `peerlatency` (ms): SRTO_PEERLATENCY, the minimum asked of the peer's receiver.
    public var peerLatencyMs = 0
    /// `tlpktdrop`: SRTO_TLPKTDROP, drop packets too late to play (SRS 4 spelled it `tlpkdrop`).
    public var tooLatePacketDrop = true
    /// `connect_timeout` (ms): SRTO_CONNTIMEO.
    public var connectTimeoutMs = 3000
    /// `peer_idle_timeout` (ms): SRTO_PEERIDLETIMEO, silence after which a peer is gone.
    public var peerIdleTimeoutMs = 10_000
    /// `sendbuf` (bytes): SRTO_SNDBUF.
    public var sendBufferBytes = 8192 * (1500 - 28)
    /// `recvbuf` (bytes): SRTO_RCVBUF.
    public var recvBufferBytes = 8192 * (1500 - 28)
    /// `payloadsize` (bytes): SRTO_PAYLOADSIZE, the largest message; 1316 = 7 TS packets.
    public var payloadSize = 1316
    /// `passphrase`: SRTO_PASSPHRASE (10 to 79 characters); empty: no encryption.
    public var passphrase = ""
    /// `pbkeylen`: SRTO_PBKEYLEN (0, 16, 24, 32), set only with a passphrase.
    public var keyLength = 0

    public init() {}
}
