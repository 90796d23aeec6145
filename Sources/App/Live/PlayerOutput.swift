import Core
import System

/// How a player (RTMP or HTTP-FLV) writes its stream: every message is already encoded and
/// shared; this bounds what may wait unsent (`queue_length` seconds, 16 MiB), drops to the next
/// keyframe when a reader falls behind, and merges writes as SRS's `mw_msgs`/`mw_latency` do
/// (`MergedWriteRule`): a player's queue goes out in one `writev` once it holds more than
/// `mw_msgs` messages spanning more than `mw_latency` ms of media.
final class PlayerOutput {
    private let socket: StreamSocket
    let loop: EventLoop
    private let cid: String
    private var meter: PlayQueueMeter
    private var merge: MergedWriteRule
    private lazy var fallback = MergedWriteFallback(loop: loop, delayMs: merge.fallbackMs) { [unowned self] in flush() }
    private var lastTimestamp: UInt32?
    private var waitingKeyframe = false
    private var hasVideo = false
    /// The stream's sequence headers as this player got them: after a drop they may have gone
    /// with the dropped bytes, so they are sent again before the keyframe it resumes at.
    private var videoHeader: SharedBytes?
    private var audioHeader: SharedBytes?

    init(socket: StreamSocket, loop: EventLoop, cid: String, play: PlayConfig) {
        self.socket = socket
        self.loop = loop
        self.cid = cid
        meter = PlayQueueMeter(queueLengthSeconds: play.queueLength)
        merge = MergedWriteRule(minMessages: play.mwMsgs, latencyMs: play.mwLatencyMs)
        noDelay = play.tcpNoDelay
    }

    /// The vhost's `tcp_nodelay`, applied once the stream has started (`applyNoDelayOnceStarted`).
    private let noDelay: Bool
    private var noDelayPending = true
    /// Audio or video (not only headers or metadata) was written to this player.
    private var mediaWritten = false

    /// The source's number of the last message this player was given (see `PlayerBatcher`).
    var syncedThrough: UInt64 = 0

    /// Queues `bytes`, the encoding of `m` for this player, and writes by its own merge rule (a
    /// player on its own: the cached start when it joins).
    func deliver(_ m: MediaMessage, _ bytes: SharedBytes) {
        guard queue(m, bytes) else { return }
        lastTimestamp = m.timestamp
        if merge.queued(timestamp: m.timestamp, isAudioOrVideo: m.isAudio || m.isVideo) {
            flush()
        } else {
            fallback.waiting()
        }
        record(m.isData || m.isSequenceHeader ? nil : m.timestamp)
    }

    /// A batch cut for all the players of its source and key: one buffer when this player is in
    /// step with it, else message by message (what it already has is skipped; after a drop it
    /// waits for a keyframe; a batch with sequence headers keeps them for a later resume).
    /// `lastThisIteration`: no other batch comes in this loop iteration (a batch of one iteration,
    /// cut at its end), so the socket is written now instead of scheduling a task for it.
    func deliver(_ batch: PlayerBatch, lastThisIteration: Bool) {
        if socket.closed || syncedThrough >= batch.lastSeq { return }
        applyNoDelayOnceStarted()
        let skip = syncedThrough >= batch.firstSeq ? Int(syncedThrough - batch.firstSeq + 1) : 0
        syncedThrough = batch.lastSeq
        if skip == 0 && !waitingKeyframe && !batch.hasSequenceHeader {
            if batch.hasVideo { hasVideo = true }
            socket.enqueue(batch.bytes)
            record(batch.lastMediaTimestamp)
            if batch.lastMediaTimestamp != nil { mediaWritten = true }
        } else {
            for m in batch.messages[skip...] {
                guard queue(m, batch.encode(m)) else { continue }
                record(m.isData || m.isSequenceHeader ? nil : m.timestamp)
            }
        }
        if lastThisIteration { socket.flushNow() } else { socket.flushSoon() }
    }

    /// Queues one message unless the player waits for a keyframe after a drop; false if skipped.
    private func queue(_ m: MediaMessage, _ bytes: SharedBytes) -> Bool {
        if socket.closed { return false }
        if m.isVideo { hasVideo = true }
        if m.isSequenceHeader {
            if m.isVideo { videoHeader = bytes } else { audioHeader = bytes }
        }
        if waitingKeyframe {
            // After an overflow, resume at a keyframe so the decoder can start clean; headers
            // and metadata always go through.
            if m.isVideo && m.isKeyframe || !hasVideo && m.isAudio {
                waitingKeyframe = false
                for h in [videoHeader, audioHeader].compactMap({ $0 }) { socket.enqueue(h) }
            } else if !(m.isSequenceHeader || m.isData) {
                return false
            }
        }
        socket.enqueue(bytes)
        if !(m.isSequenceHeader || m.isData) { mediaWritten = true }
        return true
    }

    /// Measures how far behind the player is after media up to `timestamp` was queued, and drops
    /// its unsent queue past `queue_length` or the bytes bound. Metadata and sequence headers
    /// (nil) carry the publish start's timestamp, not the media's: they do not measure it.
    private func record(_ timestamp: UInt32?) {
        guard let timestamp else { return }
        if meter.record(timestamp: timestamp, endOffset: socket.bytesQueued, done: socket.bytesWritten + socket.bytesDropped,
                        pendingBytes: socket.pendingBytes) {
            let dropped = socket.dropUnsent()
            meter.reset()
            waitingKeyframe = true
            Log.warnRepeated("player too slow", "player too slow: dropped \(dropped) queued bytes, waiting for the next keyframe", cid: cid)
        }
    }

    /// Writes the start of the stream now (the play answer, metadata, sequence headers, the
    /// cached GOP), with `TCP_NODELAY` still set as the listener set it, so none of it waits for
    /// an ACK (Nagle would hold a small write behind the answer's unacknowledged segments until a
    /// delayed ACK, ~40 ms: measured through an edge, the first keyframe's median went from 13 to
    /// 48 ms). The socket follows the vhost's `tcp_nodelay` (SRS: off) once media went out.
    func flushStart() {
        flush()
        socket.flushNow()
        applyNoDelayOnceStarted()
    }

    /// From the first write after media went out (the first keyframe, with a GOP cache), the
    /// player's socket has the vhost's `tcp_nodelay`: the stream's start never waits for an ACK.
    private func applyNoDelayOnceStarted() {
        guard noDelayPending, mediaWritten else { return }
        noDelayPending = false
        if !noDelay { socket.setNoDelay(false) }
    }

    /// Writes what is queued now (end of this loop iteration), e.g. after the start-up burst.
    func flush() {
        merge.wrote(lastTimestamp: lastTimestamp)
        fallback.wrote()
        socket.flushSoon()
    }
}
