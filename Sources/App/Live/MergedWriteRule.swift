import Core

/// When a player's queued messages go out, as SRS decides it (`SrsLiveConsumer::wait` and
/// `enqueue`): once the queue holds **more than** `mw_msgs` messages **and** spans **more than**
/// `mw_latency` ms of media. The span runs from the timestamp of the last message written (or of
/// the first audio/video message queued after the start) to the newest audio/video message;
/// messages at timestamp 0 (sequence headers with jitter off) do not move it, as in SRS.
///
/// Where SwiftSRS differs, on purpose:
/// - `mw_latency 0` writes as soon as more than `mw_msgs` wait (SRS would still hold messages
///   sharing the last written one's timestamp).
/// - A timestamp that goes backwards (republish, 32-bit wrap) writes at once (SRS does so only
///   with ATC).
/// - The caller also writes what waits longer than `fallbackMs` of wall-clock time (SRS waits for
///   the next message however long it takes: a 1 fps stream would wait 9 s with the defaults).
struct MergedWriteRule {
    let minMessages: Int
    let latencyMs: Int64
    /// Messages queued since the last write.
    private(set) var waiting = 0
    private var spanStart: Int64?
    private var spanEnd: Int64?

    /// SRS's upper bound of `mw_msgs` (`SRS_PERF_MW_MSGS`): larger values are reset to it.
    static let maxMessages = PlayConfig.maxMergedMessages

    init(minMessages: Int, latencyMs: Int) {
        self.minMessages = min(max(0, minMessages), Self.maxMessages)
        self.latencyMs = Int64(max(0, latencyMs))
    }

    /// Wall-clock time after which whatever waits is written anyway: twice `mw_latency`, at least
    /// 100 ms (a normal stream's batches go out by the rule well before).
    var fallbackMs: Int64 { max(100, 2 * latencyMs) }

    /// A message was queued; true when the queue must be written now.
    mutating func queued(timestamp: UInt32, isAudioOrVideo: Bool) -> Bool {
        waiting += 1
        if isAudioOrVideo && timestamp != 0 {
            let t = Int64(timestamp)
            if spanStart == nil { spanStart = t }
            spanEnd = t
        }
        guard waiting > minMessages else { return false }
        if latencyMs == 0 { return true }
        guard let start = spanStart, let end = spanEnd else { return false }
        return end - start > latencyMs || end < start
    }

    /// The queue was written; `lastTimestamp` is the newest message's timestamp in it.
    mutating func wrote(lastTimestamp: UInt32?) {
        waiting = 0
        if let t = lastTimestamp { spanStart = Int64(t) }
    }
}
