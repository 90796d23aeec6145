/// Deadlines for clients that have not started anything yet, so slow or silent connections
/// (slowloris) cannot hold places of `max_connections` for long. Each is a total time for its
/// phase, not a time between reads: a client trickling one byte a second gets no longer.
/// Checked once a second, so one fires up to a second after it passed.
public struct ClientTimeouts: Equatable, Sendable {
    /// `client_header_timeout`: an HTTP request head must be complete this long after its first
    /// byte arrived (for a connection's first request: after it was accepted).
    public var httpHeaderMs = 10_000
    /// `client_body_timeout`: an HTTP request body must be complete this long after its head.
    public var httpBodyMs = 30_000
    /// `rtmp_handshake_timeout`: the RTMP handshake (C0, C1, C2) must be done this long after accept.
    public var rtmpHandshakeMs = 10_000
    /// `rtmp_command_timeout`: after the handshake, a publish or play must be accepted within
    /// this (connect, createStream... included); again after a client stopped publishing or playing.
    public var rtmpCommandMs = 20_000

    public init() {}

    /// The range every one of them accepts: at least a second (so nginx's bare seconds,
    /// `client_header_timeout 60;`, are refused instead of read as 60 ms), at most a day.
    static let rangeMs = 1000...86_400_000
}
