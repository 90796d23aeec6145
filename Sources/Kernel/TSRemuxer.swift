/// Turns a live stream's FLV messages into MPEG-TS once per stream, for every HTTP-TS player
/// of it (`http_remux` mounts ending in `.ts`, SRS's `SrsTsStreamEncoder`): H.264 with AAC or
/// MP3 (SRS's codecs for TS); other codecs are left out.
///
/// Each message becomes a self-contained run of TS packets that can be shared by all players.
/// Every video keyframe is preceded by PAT and PMT (as each HLS segment is), so a player that
/// joins late, or resumes after its queue dropped to a keyframe, gets the tables first and
/// starts decoding at once: such outputs are marked `isRandomAccess`, and a player should start
/// with one. Continuity counters are those of the whole stream; a player that starts at a random
/// access point sees them continue from there.
///
/// The PMT lists the tracks known at each keyframe: H.264 once its sequence header came; AAC
/// once its sequence header came, MP3 once a frame came or the metadata announced it (so the
/// first GOP keeps its audio). Audio of a track the last PMT did not list waits for the next
/// keyframe; a change of tracks bumps the PMT version. Without video the stream is audio only:
/// the tables precede the first audio frame and then one frame every `audioTablesIntervalMs`.
public struct TSRemuxer: Sendable {
    /// One message as TS packets.
    public struct Output: Equatable, Sendable {
        public var bytes: [UInt8]
        /// The packets start with PAT and PMT, then a keyframe (or audio): a player may start here.
        public var isRandomAccess: Bool
    }

    /// How often an audio-only stream repeats its tables (a player joining waits at most this).
    public static let audioTablesIntervalMs: Int64 = 1000

    private var muxer: TSMuxer?
    private var avc: AVCDecoderConfig?
    private var aac: AACAudioConfig?
    /// The audio track as known so far.
    private var audio: TSMuxer.AudioCodec?
    private var lastTablesMs: Int64?

    public init() {}

    /// `onMetaData`: an `audiocodecid` of 2 announces MP3 (MPEG-1 unless `audiosamplerate` is
    /// under 32 kHz), so the first PMT lists it before its first frame arrives.
    public mutating func metadata(_ payload: [UInt8]) {
        guard audio == nil, let values = try? AMF0.decodeAll(payload),
              let properties = values.first(where: { $0.properties != nil }) else { return }
        guard properties["audiocodecid"]?.numberValue == Double(FLVAudioInfo.formatMP3) else { return }
        let rate = properties["audiosamplerate"]?.numberValue ?? 44100
        audio = rate < 32000 ? .mpeg2Audio : .mpeg1Audio
    }

    /// A video message: nil for sequence headers, frames before the first keyframe and codecs
    /// other than H.264.
    public mutating func video(timestamp: UInt32, payload: [UInt8]) -> Output? {
        guard let info = try? FLVVideoInfo.parse(payload), info.codecID == FLVVideoInfo.codecAVC,
              info.payloadOffset <= payload.count else { return nil }
        let data = payload[info.payloadOffset...]
        if info.isSequenceHeader {
            avc = try? AVCDecoderConfig.parse(data)
            return nil
        }
        guard info.packetType == 1 || (info.isEnhanced && info.packetType == 3), let avc else { return nil }
        let keyframe = info.isKeyframe
        var tables: [UInt8] = []
        if keyframe {
            tables = prepare(hasVideo: true)
        } else if muxer?.hasVideo != true {
            return nil
        }
        guard let annexB = try? AnnexB.fromAVCC(payload: data, nalLengthSize: avc.nalLengthSize, config: avc, keyframe: keyframe) else {
            return nil
        }
        let dts = Int64(timestamp)
        var out = tables
        muxer!.writeVideo(dts: dts, pts: dts + Int64(info.compositionTime), keyframe: keyframe, annexB: annexB, into: &out)
        return Output(bytes: out, isRandomAccess: keyframe)
    }

    /// An audio message: nil for sequence headers, codecs other than AAC and MP3, and audio the
    /// current PMT does not list yet.
    public mutating func audio(timestamp: UInt32, payload: [UInt8]) -> Output? {
        guard let info = try? FLVAudioInfo.parse(payload), info.payloadOffset <= payload.count else { return nil }
        let data = payload[info.payloadOffset...]
        let codec: TSMuxer.AudioCodec
        // The frame goes out as it is, after `prefix` (AAC's ADTS header).
        let prefix: [UInt8]
        switch info.soundFormat {
        case FLVAudioInfo.formatAAC:
            if info.isSequenceHeader {
                aac = try? AACAudioConfig.parse(data)
                if aac != nil { audio = .aac }
                return nil
            }
            // ADTS cannot describe a longer frame; such a frame is not valid AAC anyway.
            guard let aac, !data.isEmpty, data.count <= AACAudioConfig.maxADTSPayloadLength else { return nil }
            codec = .aac
            prefix = aac.adtsHeader(payloadLength: data.count)
        case FLVAudioInfo.formatMP3:
            guard let header = try? MP3FrameHeader.parse(data) else { return nil }
            codec = TSMuxer.AudioCodec(mp3: header)
            prefix = []
        default:
            return nil
        }
        audio = codec
        let ms = Int64(timestamp)
        var tables: [UInt8] = []
        if avc == nil {
            // Audio only: the tables first, and again every interval (either way: a republish
            // may start the clock over).
            let due = lastTablesMs.map { abs(ms - $0) >= Self.audioTablesIntervalMs } ?? true
            if due || muxer?.audio != codec || muxer?.hasVideo != false {
                tables = prepare(hasVideo: false)
                lastTablesMs = ms
            }
        } else if muxer?.hasVideo != true || muxer?.audio != codec {
            return nil
        }
        let isRandomAccess = !tables.isEmpty
        var out = tables
        muxer!.writeAudio(pts: ms, prefix: prefix, frames: data, into: &out)
        return Output(bytes: out, isRandomAccess: isRandomAccess)
    }

    /// The muxer set to the tracks known now, and its PAT and PMT.
    private mutating func prepare(hasVideo: Bool) -> [UInt8] {
        if muxer == nil {
            muxer = TSMuxer(hasVideo: hasVideo, audio: audio)
        } else {
            muxer!.reconfigure(hasVideo: hasVideo, audio: audio)
        }
        return muxer!.header()
    }
}
