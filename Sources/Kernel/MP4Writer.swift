/// Writes a non-fragmented MP4 (ISO/IEC 14496-12/14/15) of H.264 video and AAC or MP3 audio
/// as a stream of bytes to append to a file, for DVR. Layout, as SRS's `SrsMp4Encoder`:
///
///     ftyp · free (8 bytes) · mdat (samples, as they come) · moov (at `finish`)
///
/// Only the sample tables stay in memory (see `MP4SampleTable`). `finish` returns the moov box
/// to append and one patch for the mdat header: its 32-bit size, or, past 4 GiB, a 64-bit
/// header written over the free box and the old header (the free box reserves that room).
///
/// Timing: FLV times are milliseconds. Video uses timescale 1000, decoding times kept strictly
/// increasing and composition offsets (FLV's composition time) at least 0. Audio uses its
/// sampling rate: each frame lasts exactly its sample count (1024 for AAC, 1152 or 576 for MP3)
/// unless its timestamp is more than 2 ms away from that (a gap), where the timestamp wins. An
/// edit list starts each track at its first presented sample, relative to the earliest track,
/// so audio and video stay in sync and B-frame delays are hidden.
///
/// Video is written from its first keyframe; a track's configuration (avcC, AAC
/// AudioSpecificConfig, MP3 rate and version) is fixed once its first sample is written: the
/// `video/audioConfiguration` methods report a change, after which the caller starts a new file.
public struct MP4Writer: Sendable {
    /// The codec of the audio track.
    public enum AudioCodec: Equatable, Sendable {
        /// AAC with its AudioSpecificConfig (the FLV sequence header's payload).
        case aac(AACAudioConfig, specificConfig: [UInt8])
        /// MPEG-1/2 audio layer 3 (or 1, 2), described by a frame header.
        case mp3(MP3FrameHeader)
    }

    /// What a configuration did to the writer.
    public enum ConfigurationResult: Equatable, Sendable {
        /// The track uses it (the first, or a new one before any sample of the track).
        case accepted
        /// The same configuration as the track's: nothing to do.
        case unchanged
        /// A different configuration after samples were written: an MP4 track cannot change
        /// codec parameters mid-file, so the caller should finish this file and start another.
        case changed
    }

    /// A track's state: its configuration, sample table and timing.
    struct Track: Sendable {
        var timescale: Int64
        var table = MP4SampleTable()
        /// The first sample's time in milliseconds (FLV time), nil before it.
        var firstMs: Int64?
        /// Expected duration of the last sample in the track's timescale (audio: its frames).
        var lastNominal: Int64 = 0
        init(timescale: Int64) { self.timescale = timescale }
    }

    /// Bytes produced so far: the offset of the next sample in the file.
    public internal(set) var bytesWritten: UInt64 = 0
    /// The AVCDecoderConfigurationRecord of the video track, as published.
    public private(set) var avcRecord: [UInt8]?
    public private(set) var avc: AVCDecoderConfig?
    public private(set) var audioCodec: AudioCodec?
    var video: Track?
    var audio: Track?
    /// Which track wrote the last sample (its chunk is still open); 0 none, 1 video, 2 audio.
    private var openChunkTrack = 0
    private var freeBoxOffset: UInt64 = 0

    /// Chunks hold at most this many samples (an audio-only file gets chunks too).
    static let maxSamplesPerChunk = 64
    /// Audio frames within this many milliseconds of their expected time get exactly it.
    static let audioSnapMs: Int64 = 2

    public init() {}

    /// ftyp, free and the mdat header: what the file starts with.
    public mutating func start() -> [UInt8] {
        var w = ByteWriter(capacity: 48)
        w.box("ftyp") { w in
            w.fourCC("isom")
            w.u32(512)
            for brand in ["isom", "iso2", "avc1", "mp41"] { w.fourCC(brand) }
        }
        freeBoxOffset = UInt64(w.count)
        w.box("free") { _ in }
        w.u32(8)  // mdat size, patched by finish
        w.fourCC("mdat")
        bytesWritten = UInt64(w.count)
        return w.bytes
    }

    /// Sets the video track's AVCDecoderConfigurationRecord (the FLV AVC sequence header's
    /// payload after its 5-byte header). Throws `KernelError` when it does not parse.
    public mutating func videoConfiguration(_ record: ArraySlice<UInt8>) throws -> ConfigurationResult {
        if let avcRecord, avcRecord.elementsEqual(record) { return .unchanged }
        if (video?.table.sampleCount ?? 0) > 0 { return .changed }
        avc = try AVCDecoderConfig.parse(record)
        avcRecord = Array(record)
        if video == nil { video = Track(timescale: 1000) }
        return .accepted
    }

    /// Sets the audio codec: AAC from its AudioSpecificConfig, or MP3 from a frame header.
    public mutating func audioConfiguration(_ codec: AudioCodec) -> ConfigurationResult {
        if let audioCodec, Self.sameTrackFormat(audioCodec, codec) { return .unchanged }
        if (audio?.table.sampleCount ?? 0) > 0 { return .changed }
        audioCodec = codec
        audio = Track(timescale: Int64(max(1, Self.sampleRate(codec))))
        return .accepted
    }

    /// One H.264 access unit: `sample` is the FLV payload after its header (length-prefixed NAL
    /// units), decoded at `dts` and presented `compositionTime` later (milliseconds). Returns
    /// the bytes to append to the file; empty (nothing recorded) before the configuration and
    /// the first keyframe.
    public mutating func writeVideo(dts: Int64, compositionTime: Int32, keyframe: Bool, sample: ArraySlice<UInt8>) -> [UInt8] {
        // The track is changed in place (`video!`): a copy would copy its tables at every sample.
        guard video != nil, avcRecord != nil, !sample.isEmpty, sample.count <= Int(UInt32.max) else { return [] }
        if video!.firstMs == nil && !keyframe { return [] }
        let first = video!.firstMs ?? dts
        video!.firstMs = first
        let count = video!.table.sampleCount
        let last = video!.table.lastDecodeTime
        let time = count > 0 ? max(dts - first, last + 1) : dts - first
        let offset = max(0, dts + Int64(compositionTime) - (first + time))
        video!.lastNominal = count > 0 ? time - last : 0
        let chunk = chunkStart(track: 1, samplesInChunk: video!.table.openChunkSampleCount)
        video!.table.append(size: UInt32(sample.count), decodeTime: time, offset: UInt32(clamping: offset), sync: keyframe,
                            chunkOffset: chunk)
        bytesWritten += UInt64(sample.count)
        return Array(sample)
    }

    /// One audio frame (AAC raw data, or MP3 frames) at `dts` milliseconds. Returns the bytes
    /// to append; empty before the audio configuration.
    public mutating func writeAudio(dts: Int64, sample: ArraySlice<UInt8>) -> [UInt8] {
        guard audio != nil, let codec = audioCodec, !sample.isEmpty, sample.count <= Int(UInt32.max) else { return [] }
        let first = audio!.firstMs ?? dts
        audio!.firstMs = first
        let timescale = audio!.timescale
        var time = (dts - first) * timescale / 1000
        if audio!.table.sampleCount > 0 {
            let last = audio!.table.lastDecodeTime
            let expected = last + audio!.lastNominal
            if abs(time - expected) <= Self.audioSnapMs * timescale / 1000 { time = expected }
            time = max(time, last + 1)
        }
        switch codec {
        case .aac: audio!.lastNominal = 1024
        case .mp3(let header): audio!.lastNominal = Int64(header.samplesPerFrame * MP3FrameHeader.frameCount(in: sample))
        }
        let chunk = chunkStart(track: 2, samplesInChunk: audio!.table.openChunkSampleCount)
        audio!.table.append(size: UInt32(sample.count), decodeTime: time, offset: 0, sync: true, chunkOffset: chunk)
        bytesWritten += UInt64(sample.count)
        return Array(sample)
    }

    /// The offset of a new chunk when this sample cannot join the open one (another track
    /// wrote last, or the chunk is full), else nil.
    private mutating func chunkStart(track: Int, samplesInChunk: Int) -> UInt64? {
        defer { openChunkTrack = track }
        if openChunkTrack == track && samplesInChunk > 0 && samplesInChunk < Self.maxSamplesPerChunk { return nil }
        return bytesWritten
    }

    /// Samples written to each track.
    public var videoSampleCount: Int { video?.table.sampleCount ?? 0 }
    public var audioSampleCount: Int { audio?.table.sampleCount ?? 0 }

    /// The end of the file: the moov box to append, and the patch of the mdat header (its
    /// size, or a 64-bit header over the free box past 4 GiB). Nil when no sample was written
    /// (an MP4 needs at least one track with samples).
    public func finish() -> (moov: [UInt8], patch: FilePatch)? {
        guard videoSampleCount > 0 || audioSampleCount > 0 else { return nil }
        let mdatHeader = freeBoxOffset + 8
        let mdatSize = bytesWritten - mdatHeader
        let patch: FilePatch
        if mdatSize <= UInt64(UInt32.max) {
            var w = ByteWriter(capacity: 4)
            w.u32(UInt32(mdatSize))
            patch = FilePatch(offset: mdatHeader, bytes: w.bytes)
        } else {
            var w = ByteWriter(capacity: 16)
            w.u32(1)  // size 1: a 64-bit largesize follows the type
            w.fourCC("mdat")
            w.u64(bytesWritten - freeBoxOffset)
            patch = FilePatch(offset: freeBoxOffset, bytes: w.bytes)
        }
        return (movie(), patch)
    }

    static func sampleRate(_ codec: AudioCodec) -> Int {
        switch codec {
        case .aac(let config, _): return config.sampleRate
        case .mp3(let header): return header.sampleRate
        }
    }

    /// Two configurations describe the same track: the same AAC config bytes, or MP3 frames of
    /// the same version, layer and rate (bitrate and padding change from frame to frame).
    private static func sameTrackFormat(_ a: AudioCodec, _ b: AudioCodec) -> Bool {
        switch (a, b) {
        case (.aac(_, let x), .aac(_, let y)): return x == y
        case (.mp3(let x), .mp3(let y)): return x.version == y.version && x.layer == y.layer && x.sampleRate == y.sampleRate
        default: return false
        }
    }
}
