/// Converts an MPEG-TS byte stream carrying H.264 and AAC (what SRT publishers send) into the
/// FLV/RTMP message payloads live sources take: an AVC sequence header (from the stream's SPS
/// and PPS) before the first frame and whenever they change, AVCC frames, an AAC sequence header
/// (from the ADTS headers) and raw AAC frames. Timestamps are milliseconds of the stream's own
/// clock (PTS/DTS ÷ 90, unwrapped across the 33-bit wrap), as SRS forwards them.
///
/// The first H.264 stream and the first AAC stream of the program are used. Every other
/// stream (HEVC, MP3, a second video...) is announced once as `.unsupported`, so the caller can
/// refuse the publisher with a clear reason or go on without it. Video frames before the first
/// SPS and PPS are dropped: no player could decode them.
public struct TSFLVConverter {
    /// One FLV/RTMP audio or video message.
    public struct Frame: Equatable, Sendable {
        /// `FLVTagType.video` or `FLVTagType.audio`.
        public var type: UInt8
        /// Decoding time in milliseconds.
        public var timestamp: UInt32
        public var payload: [UInt8]
        public var isSequenceHeader: Bool
        public var isKeyframe: Bool
    }

    public enum Output: Equatable, Sendable {
        case frame(Frame)
        /// A stream of the program this converter does not carry (announced once per PMT).
        case unsupported(TSElementaryStream)
    }

    var demuxer: TSDemuxer
    var clock = TSTimestampUnwrapper()
    /// The streams converted.
    public private(set) var video: TSElementaryStream?
    public private(set) var audio: TSElementaryStream?
    /// Frames dropped: no PTS, before the video sequence header, malformed ADTS.
    public internal(set) var droppedFrames = 0

    var sps: [UInt8]?
    var pps: [UInt8]?
    /// The AVCDecoderConfigurationRecord last sent; nil before the first.
    var sentVideoConfig: [UInt8]?
    /// The AudioSpecificConfig last sent; nil before the first.
    var sentAudioConfig: [UInt8]?

    public init(maxPESBytes: Int = TSDemuxer.defaultMaxPESBytes) {
        demuxer = TSDemuxer(maxPESBytes: maxPESBytes)
    }

    /// What the demuxer dropped or repaired.
    public var demuxerCounters: TSDemuxer.Counters { demuxer.counters }

    /// Feeds transport stream bytes; returns the messages and announcements they completed.
    public mutating func feed(_ bytes: ArraySlice<UInt8>) -> [Output] {
        convert(demuxer.feed(bytes))
    }

    /// Feeds transport stream bytes held in a whole array.
    public mutating func feed(_ bytes: [UInt8]) -> [Output] {
        feed(bytes[...])
    }

    /// Converts what the demuxer still holds (the last video frame): call at end of stream.
    public mutating func flush() -> [Output] {
        convert(demuxer.flush())
    }

    private mutating func convert(_ events: [TSDemuxer.Event]) -> [Output] {
        var out: [Output] = []
        for event in events {
            switch event {
            case .program(let streams):
                selectStreams(streams, into: &out)
            case .pes(let pes):
                if pes.pid == video?.pid {
                    convertVideo(pes, into: &out)
                } else if pes.pid == audio?.pid {
                    convertAudio(pes, into: &out)
                }
            }
        }
        return out
    }

    /// Picks the first H.264 and the first AAC stream; announces the others. A stream that
    /// changes PID or codec starts over from its next sequence header.
    private mutating func selectStreams(_ streams: [TSElementaryStream], into out: inout [Output]) {
        let newVideo = streams.first { $0.streamType == TSElementaryStream.typeH264 }
        let newAudio = streams.first { $0.streamType == TSElementaryStream.typeAACADTS }
        if newVideo != video {
            sps = nil
            pps = nil
            sentVideoConfig = nil
        }
        if newAudio != audio { sentAudioConfig = nil }
        video = newVideo
        audio = newAudio
        for s in streams where s != newVideo && s != newAudio { out.append(.unsupported(s)) }
    }

    /// 90 kHz ticks to milliseconds, rounded down (also below zero).
    static func milliseconds(_ ticks: Int64) -> Int64 {
        ticks >= 0 ? ticks / 90 : -((-ticks + 89) / 90)
    }

    /// An FLV timestamp: negative times (before a wrap we joined after) are clamped to 0; past
    /// 32 bits they wrap as RTMP's do.
    static func flvTimestamp(_ ms: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: max(0, ms))
    }
}
