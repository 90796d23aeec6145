import Kernel
import Protocol
import System

/// An FLV file held in memory the way a publisher sends it: the header messages once (metadata
/// as `@setDataFrame`, the sequence headers), then the media tags in a loop with continuous
/// timestamps: tag `i` of loop `k` has timestamp `k × durationMs + offsetMs[i]`, so the stream
/// never jumps back (as `ffmpeg -stream_loop -1 -c copy` does).
///
/// A class: every publisher reads the same clip, and the payload arrays are shared with the
/// messages built from them (no copy until they are chunked into a socket's output).
final class FLVClip {
    /// One media tag of the loop.
    struct Tag {
        let type: UInt8
        /// Timestamp in ms from the first media tag of the file.
        let offsetMs: Int64
        let payload: [UInt8]
    }

    /// Sent once, before the first media tag.
    let headers: [RTMPMessage]
    /// Audio and video tags in file order (sequence headers excluded).
    let media: [Tag]
    /// Length of one loop in ms: the last tag of each type plus that type's frame interval.
    let durationMs: Int64
    /// Media payload bytes of one loop (the FLV and RTMP framing are not counted).
    let loopBytes: Int

    /// The clip's media rate in kbit/s.
    var kbps: Double { durationMs > 0 ? Double(loopBytes) * 8 / Double(durationMs) : 0 }

    init(path: String) throws {
        let bytes = try FileSystem.readFile(path)
        var reader = try FLVTagReader(bytes)
        var headers: [RTMPMessage] = []
        var media: [Tag] = []
        var firstMs: Int64?
        while let tag = try reader.next() {
            switch tag.type {
            case RTMPMessageType.amf0Data:
                // A file's script tag is `onMetaData` + object; a publisher sends it prefixed with
                // `@setDataFrame`, as ffmpeg and OBS do.
                var w = ByteWriter(capacity: tag.payload.count + 16)
                AMF0.encode(.string("@setDataFrame"), into: &w)
                w.append(tag.payload[...])
                headers.append(RTMPMessage(type: tag.type, payload: w.bytes))
            case RTMPMessageType.audio, RTMPMessageType.video:
                let video = tag.type == RTMPMessageType.video ? try? FLVVideoInfo.parse(tag.payload) : nil
                let isHeader = tag.type == RTMPMessageType.video
                    ? video?.isSequenceHeader ?? false
                    : (try? FLVAudioInfo.parse(tag.payload))?.isSequenceHeader ?? false
                if isHeader {
                    headers.append(RTMPMessage(type: tag.type, payload: tag.payload))
                    continue
                }
                // ffmpeg ends a file with an end-of-sequence tag (packet type 2, AVC and enhanced
                // alike): the loop goes on, so it is not sent.
                if let video, video.packetType == 2, !video.isSequenceHeader { continue }
                let first = firstMs ?? Int64(tag.timestamp)
                firstMs = first
                media.append(Tag(type: tag.type, offsetMs: max(0, Int64(tag.timestamp) - first), payload: tag.payload))
            default:
                continue
            }
        }
        guard !media.isEmpty else { throw BenchError.clip("\(path): no audio or video tags") }
        self.headers = headers
        // Due times must not go back in sending order: a tag behind a later one would count as
        // late by the difference. Files are in timestamp order, nearly: keep that order, fixed.
        self.media = media.enumerated().sorted { ($0.element.offsetMs, $0.offset) < ($1.element.offsetMs, $1.offset) }.map(\.element)
        durationMs = max(1, [RTMPMessageType.audio, RTMPMessageType.video].map { Self.end(of: $0, in: media) }.max() ?? 1)
        loopBytes = media.reduce(0) { $0 + $1.payload.count }
    }

    /// Where a type's tags end: the last one's offset plus the average interval between them.
    private static func end(of type: UInt8, in media: [Tag]) -> Int64 {
        let offsets = media.filter { $0.type == type }.map(\.offsetMs)
        guard let first = offsets.first, let last = offsets.last else { return 0 }
        let interval = offsets.count > 1 ? (last - first) / Int64(offsets.count - 1) : 0
        return last + max(interval, 1)
    }
}
