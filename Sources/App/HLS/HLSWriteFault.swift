/// One disk-fault episode of an HLS writer (disk full, read-only, no permission...): the first
/// failed write is logged, the next ones are only counted, and the first segment written with
/// its playlist after them ends the episode, logged once with the counts. A full disk costs two
/// log lines per stream, however long it lasts.
struct HLSWriteFault {
    /// What an episode cost, reported when it ends.
    struct Summary: Equatable {
        /// Failed writes (segments, playlists, directories).
        var failures: Int
        /// Segments lost (their media is not in HLS; the next segment is a discontinuity).
        var missedSegments: Int
        var durationMs: Int64
    }

    /// When the episode started (ms), nil while writes succeed.
    private(set) var sinceMs: Int64?
    private var failures = 0
    private var missedSegments = 0

    /// Notes a failed write; true when it starts an episode (the caller logs it).
    mutating func failed(segmentMissed: Bool, nowMs: Int64) -> Bool {
        failures += 1
        if segmentMissed { missedSegments += 1 }
        guard sinceMs == nil else { return false }
        sinceMs = nowMs
        return true
    }

    /// A segment and its playlist were written: ends the episode, if one was going on.
    mutating func succeeded(nowMs: Int64) -> Summary? {
        guard let since = sinceMs else { return nil }
        let summary = Summary(failures: failures, missedSegments: missedSegments, durationMs: max(0, nowMs - since))
        self = HLSWriteFault()
        return summary
    }
}
