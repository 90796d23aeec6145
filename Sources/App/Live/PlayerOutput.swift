import Core
import System

/// How a player (RTMP or HTTP-FLV) writes its stream: every message is already encoded and
/// shared; this bounds what may wait unsent (`queue_length` seconds, 16 MiB), drops to the next
/// keyframe when a reader falls behind, and merges writes as SRS's `mw_msgs`/`mw_latency` do:
/// a player's queue goes out in one `writev` once it holds `mw_msgs` messages, or `mw_latency`
/// after its first unsent one (`mw_msgs 0` writes every message at once).
final class PlayerOutput {
    private let socket: StreamSocket
    private let loop: EventLoop
    private let cid: String
    private var meter: PlayQueueMeter
    private let mergeMessages: Int
    private let mergeLatencyMs: Int64
    private var unflushed = 0
    private var flushTimer: TimerID?
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
        mergeMessages = play.mwMsgs
        mergeLatencyMs = Int64(play.mwLatencyMs)
    }

    deinit { if let t = flushTimer { loop.cancel(t) } }

    /// Queues `bytes`, the encoding of `m` for this player.
    func deliver(_ m: MediaMessage, _ bytes: SharedBytes) {
        if socket.closed { return }
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
                return
            }
        }
        socket.enqueue(bytes)
        unflushed += 1
        if unflushed >= mergeMessages {
            flush()
        } else if flushTimer == nil {
            flushTimer = loop.schedule(afterMs: mergeLatencyMs) { [weak self] in
                self?.flushTimer = nil
                self?.flush()
            }
        }
        // Metadata and sequence headers carry the publish start's timestamp, not the media's:
        // they do not measure how far behind the player is.
        guard !m.isData && !m.isSequenceHeader else { return }
        if meter.record(timestamp: m.timestamp, endOffset: socket.bytesQueued, done: socket.bytesWritten + socket.bytesDropped,
                        pendingBytes: socket.pendingBytes) {
            let dropped = socket.dropUnsent()
            meter.reset()
            waitingKeyframe = true
            Log.warnRepeated("player too slow", "player too slow: dropped \(dropped) queued bytes, waiting for the next keyframe", cid: cid)
        }
    }

    /// Writes what is queued now (end of this loop iteration), e.g. after the start-up burst.
    func flush() {
        unflushed = 0
        if let t = flushTimer {
            loop.cancel(t)
            flushTimer = nil
        }
        socket.flushSoon()
    }
}
