import Core

/// How far a new RTMP connection got towards publishing or playing, since when, and whether that
/// took too long: the handshake must be done `rtmp_handshake_timeout` after the accept, and a
/// publish or play accepted `rtmp_command_timeout` after the handshake (or after the client
/// stopped its last publish or play). Pure: time comes in.
struct RTMPStartClock: Equatable {
    enum Phase: Equatable {
        case handshake
        /// Handshake done; connect, createStream... until publish or play is accepted.
        case commands
        /// Publishing, playing (or handed to the cluster: a redirect); no start deadline.
        case started
    }

    private(set) var phase = Phase.handshake
    /// When the phase began (monotonic ms).
    private(set) var since: Int64

    init(now: Int64) { since = now }

    /// Takes in what the connection is now.
    mutating func observe(handshakeDone: Bool, started: Bool, now: Int64) {
        let next: Phase = !handshakeDone ? .handshake : started ? .started : .commands
        guard next != phase else { return }
        phase = next
        since = now
    }

    /// Why the connection must close now, or nil.
    func overdue(now: Int64, timeouts: ClientTimeouts) -> String? {
        let age = now - since
        switch phase {
        case .handshake where age > Int64(timeouts.rtmpHandshakeMs):
            return "handshake not done within \(timeouts.rtmpHandshakeMs)ms (rtmp_handshake_timeout)"
        case .commands where age > Int64(timeouts.rtmpCommandMs):
            return "no publish or play within \(timeouts.rtmpCommandMs)ms (rtmp_command_timeout)"
        default:
            return nil
        }
    }

    /// Since when the connection waits for its client to start (nil once started).
    var waitingSince: Int64? { phase == .started ? nil : since }
}
