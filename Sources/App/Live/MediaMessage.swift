import Core
import Kernel
import Protocol
import System

/// One audio, video or metadata message of a live stream, shared (by reference, immutable) by the
/// source, its GOP cache and every consumer. Each wire format is encoded at most once, lazily, by
/// the first consumer that needs it, then reused by all the others.
public final class MediaMessage {
    public let type: UInt8
    public let timestamp: UInt32
    public let payload: [UInt8]
    public let isKeyframe: Bool
    public let isSequenceHeader: Bool

    private var rtmpBytes: SharedBytes?
    private var rtmpChunkSize = 0
    private var flvBytes: SharedBytes?
    /// The message in its source's `LiveRemux` format (HTTP-TS, AAC, MP3) as one HTTP chunk;
    /// nil when it adds nothing to that format (a sequence header, another codec).
    private(set) var remuxChunk: SharedBytes?
    /// A player of the remux may start here (TS: PAT, PMT and a keyframe).
    private(set) var remuxRandomAccess = false
    /// The format `remuxChunk` is in; nil until the message was encoded.
    private(set) var remuxFormat: LiveRemuxFormat?

    public init(type: UInt8, timestamp: UInt32, payload: [UInt8]) {
        self.type = type
        self.timestamp = timestamp
        self.payload = payload
        var key = false
        var sh = false
        if type == RTMPMessageType.video, let b0 = payload.first {
            if b0 & 0x80 != 0 {
                // Enhanced RTMP: frame type in bits 4-6, packet type in the low nibble (0 = sequence start).
                key = (b0 >> 4) & 0x07 == 1
                sh = b0 & 0x0F == 0
            } else {
                key = b0 >> 4 == 1
                let codec = b0 & 0x0F
                sh = (codec == 7 || codec == 12) && payload.count > 1 && payload[1] == 0
            }
        } else if type == RTMPMessageType.audio, payload.count > 1 {
            sh = payload[0] >> 4 == 10 && payload[1] == 0
        }
        isKeyframe = key && !sh
        isSequenceHeader = sh
    }

    public var isVideo: Bool { type == RTMPMessageType.video }
    public var isAudio: Bool { type == RTMPMessageType.audio }
    public var isData: Bool { type == RTMPMessageType.amf0Data }

    /// The message as RTMP chunks (type-0 header, stream id 1, our chunk size), encoded once.
    public func rtmp(chunkSize: Int) -> SharedBytes {
        if let b = rtmpBytes, rtmpChunkSize == chunkSize { return b }
        let csid: UInt32 = isVideo ? RTMPChunkStreamID.video : isAudio ? RTMPChunkStreamID.audio : RTMPChunkStreamID.streamData
        let m = RTMPMessage(type: type, streamID: 1, timestamp: timestamp, chunkStreamID: csid, payload: payload)
        let b = SharedBytes(RTMPChunkEncoder.encode(m, chunkSize: chunkSize))
        rtmpBytes = b
        rtmpChunkSize = chunkSize
        return b
    }

    /// The message as an FLV tag (header, payload, previous-tag-size) framed as one HTTP chunk,
    /// encoded once and shared by every HTTP-FLV player.
    public func flvChunk() -> SharedBytes {
        if let b = flvBytes { return b }
        // The payload is copied once, between the chunk's size line + tag header and the tag's
        // PreviousTagSize + the chunk's CRLF. (An RTMP message's length is 24 bits: it fits a tag.)
        var head = ByteWriter(capacity: 24)
        head.append(Array((String(FLVTagWriter.tagSize(payloadSize: payload.count), radix: 16) + "\r\n").utf8))
        FLVTagWriter.writeHeader(type: type, timestamp: timestamp, payloadSize: payload.count, into: &head)
        var tail = ByteWriter(capacity: 6)
        FLVTagWriter.writePreviousTagSize(payloadSize: payload.count, into: &tail)
        tail.append([0x0D, 0x0A])
        let b = SharedBytes(concatenating: [head.bytes, payload, tail.bytes])
        flvBytes = b
        return b
    }

    /// Set by the source's `LiveRemux`, once, before the message is fanned out.
    func setRemux(_ format: LiveRemuxFormat, chunk: SharedBytes?, randomAccess: Bool) {
        remuxFormat = format
        remuxChunk = chunk
        remuxRandomAccess = randomAccess
    }

    /// `onMetaData` from a publisher (a client, or an upstream we pull) as players get it, SRS
    /// style: no `@setDataFrame`, no `duration` (it is live), and `server`/`server_version` of
    /// this server (the canary check reads it). Nil for other data messages.
    public static func playerMetadata(_ m: RTMPMessage) -> [UInt8]? {
        var payload = m.payload
        if m.type == RTMPMessageType.amf3Data, payload.first == 0 { payload.removeFirst() }
        guard var values = try? AMF0.decodeAll(payload), !values.isEmpty else { return nil }
        if values.first?.stringValue == "@setDataFrame" { values.removeFirst() }
        guard values.count >= 2, values[0].stringValue == "onMetaData" else { return nil }
        let meta = values[1].removing("duration")
            .setting("server", .string(Version.server))
            .setting("server_version", .string(Version.string))
        return AMF0.encode([.string("onMetaData"), meta])
    }
}
