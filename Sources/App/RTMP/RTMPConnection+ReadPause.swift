
/// Why an RTMP connection is not read for now. Several reasons may hold at once; reading resumes
/// when none does.
enum ReadPause: Hashable {
    /// Token traverse: the origin has not accepted the client's tcUrl yet.
    case tokenTraverse
    /// http_hooks have not decided about the client's publish or play yet.
    case hookDecision
    /// An edge publisher's upstream takes its media slower than it sends.
    case upstreamBackpressure
    /// The peer does not read what we answer.
    case unsentOutput
}

extension RTMPConnection {
    /// Unsent bytes past which a connection is not read until its output drains: a peer that sends
    /// pings or commands and never reads the answers cannot grow our memory without bound (before
    /// this bound, a client flooding pings grew a worker by 250 MB in 30 s). Small answers cost
    /// several times their size in buffers, so the bound is low: what a real client has unread is
    /// a few KiB. A player's queue also holds media, up to its own bound, so a player gets that
    /// much more.
    static let maxUnsentControlBytes = 256 * 1024

    func pauseReading(_ why: ReadPause, _ paused: Bool) {
        if paused { readPauses.insert(why) } else { readPauses.remove(why) }
        socket.setReadPaused(!readPauses.isEmpty)
    }

    func pauseReadingWhileAnswersPileUp() {
        var limit = Self.maxUnsentControlBytes
        if case .player = role { limit += PlayQueueMeter.defaultMaxBytes }
        guard socket.pendingBytes > limit, !readPauses.contains(.unsentOutput) else { return }
        pauseReading(.unsentOutput, true)
        socket.onDrained = { [unowned self] in
            self.socket.onDrained = nil
            self.pauseReading(.unsentOutput, false)
        }
    }
}
