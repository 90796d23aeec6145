import Kernel
import Protocol
import System

/// A live stream in one of the remux formats besides FLV (`http_remux` mounts ending in `.ts`,
/// `.aac` or `.mp3`), encoded once per stream and shared by all its players: the source runs
/// each message through it before fan-out, and the message keeps its encoding, framed as one
/// HTTP chunk (`MediaMessage.remuxChunk`), so GOP-cached messages have it too. Made by the first
/// player of the format and dropped with the last; a new publish starts it over.
final class LiveRemux {
    let format: LiveRemuxFormat
    private var ts = TSRemuxer()
    private var audio: AudioStreamRemuxer

    init(format: LiveRemuxFormat) {
        self.format = format
        audio = AudioStreamRemuxer(format: format == .mp3 ? .mp3 : .aac)
    }

    /// A new publish: no codec state carries over.
    func reset() {
        ts = TSRemuxer()
        audio = AudioStreamRemuxer(format: audio.format)
    }

    /// Encodes `m` once: a message already encoded in this format is left as it is, unless
    /// `again` (a new remux primed with the cached start: its codec state must see every
    /// message, and an earlier remux's encoding belongs to that one's continuity counters).
    func encode(_ m: MediaMessage, again: Bool = false) {
        guard again || m.remuxFormat != format else { return }
        var bytes: [UInt8]?
        var randomAccess = false
        switch format {
        case .flv:
            return
        case .ts:
            var out: TSRemuxer.Output?
            if m.isData {
                ts.metadata(m.payload)
            } else if m.isVideo {
                out = ts.video(timestamp: m.timestamp, payload: m.payload)
            } else if m.isAudio {
                out = ts.audio(timestamp: m.timestamp, payload: m.payload)
            }
            bytes = out?.bytes
            randomAccess = out?.isRandomAccess ?? false
        case .aac, .mp3:
            if m.isAudio { bytes = audio.audio(payload: m.payload) }
            randomAccess = true
        }
        m.setRemux(format, chunk: bytes.map { SharedBytes(HTTPChunked.chunk($0)) }, randomAccess: randomAccess)
    }
}
