/// Muxes H.264 (Annex B) with AAC (ADTS) or MPEG audio (MP3) into an MPEG-2 transport stream
/// (ISO/IEC 13818-1) the way HLS players and ffmpeg expect: one program, PAT and PMT at the
/// start of each segment, one PES per frame, PCR on the video PID (or on the audio PID of an
/// audio-only stream).
///
/// Continuity counters run on per PID for the life of the muxer, across `header()` calls, so
/// consecutive segments concatenate into a valid stream.
public struct TSMuxer: Sendable {
    /// The audio elementary stream: its PMT stream_type and PID (SRS's `srs_kernel_ts.cpp`).
    public enum AudioCodec: Equatable, Sendable {
        /// AAC in ADTS: stream_type 0x0F, PID 0x101.
        case aac
        /// MPEG-1 audio (MP3 at 32, 44.1 or 48 kHz): stream_type 0x03, PID 0x102.
        case mpeg1Audio
        /// MPEG-2 audio, the low sampling frequencies (MP3 under 32 kHz, MPEG 2.5 included):
        /// stream_type 0x04, PID 0x102. SRS writes 0x03 for every MP3; ffmpeg writes 0x04 here.
        case mpeg2Audio

        /// The stream of the frames `header` starts.
        public init(mp3 header: MP3FrameHeader) {
            self = header.version == .mpeg1 ? .mpeg1Audio : .mpeg2Audio
        }

        public var streamType: UInt8 {
            switch self {
            case .aac: return TSMuxer.streamTypeAAC
            case .mpeg1Audio: return 0x03
            case .mpeg2Audio: return 0x04
            }
        }

        public var pid: UInt16 { self == .aac ? TSMuxer.audioPID : TSMuxer.mp3PID }
    }

    public static let packetSize = 188
    public static let patPID: UInt16 = 0x0000
    public static let pmtPID: UInt16 = 0x1001
    public static let videoPID: UInt16 = 0x0100
    /// The PID of AAC audio, and of MPEG audio (SRS's TS_AUDIO_AAC_PID and TS_AUDIO_MP3_PID).
    public static let audioPID: UInt16 = 0x0101
    public static let mp3PID: UInt16 = 0x0102
    public static let programNumber: UInt16 = 1
    /// PMT stream_type for H.264 video and for AAC audio in ADTS.
    public static let streamTypeH264: UInt8 = 0x1B
    public static let streamTypeAAC: UInt8 = 0x0F
    /// PES stream_id of the first video and the first audio stream.
    static let videoStreamID: UInt8 = 0xE0
    static let audioStreamID: UInt8 = 0xC0

    public private(set) var hasVideo: Bool
    /// The audio stream, nil for none.
    public private(set) var audio: AudioCodec?
    /// The PMT's version_number: changed by `reconfigure`, so demuxers read the new one.
    public private(set) var pmtVersion: UInt8 = 0

    public var hasAudio: Bool { audio != nil }

    var patCounter: UInt8 = 0
    var pmtCounter: UInt8 = 0
    var videoCounter: UInt8 = 0
    var audioCounter: UInt8 = 0

    /// A muxer of H.264 and/or AAC.
    public init(hasVideo: Bool, hasAudio: Bool) {
        self.init(hasVideo: hasVideo, audio: hasAudio ? .aac : nil)
    }

    public init(hasVideo: Bool, audio: AudioCodec?) {
        self.hasVideo = hasVideo
        self.audio = audio
    }

    /// Changes the streams the PMT lists (a track that appeared, an audio codec that changed)
    /// and its version, keeping the continuity counters: the next `header()` announces them.
    public mutating func reconfigure(hasVideo: Bool, audio: AudioCodec?) {
        guard hasVideo != self.hasVideo || audio != self.audio else { return }
        self.hasVideo = hasVideo
        self.audio = audio
        pmtVersion = (pmtVersion + 1) & 0x1F
    }

    /// The PID that carries the PCR: video when there is video, else audio.
    public var pcrPID: UInt16 { hasVideo || audio == nil ? Self.videoPID : audioStreamPID }

    /// The PID of the audio stream (AAC's when there is none).
    public var audioStreamPID: UInt16 { audio?.pid ?? Self.audioPID }

    /// PAT then PMT, one packet each: what every segment starts with.
    public mutating func header() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(2 * Self.packetSize)
        appendSection(patSection(), pid: Self.patPID, counter: &patCounter, to: &out)
        appendSection(pmtSection(), pid: Self.pmtPID, counter: &pmtCounter, to: &out)
        return out
    }

    /// One H.264 access unit as one PES on the video PID. Times are in milliseconds; they become
    /// 90 kHz ticks modulo 2^33. Negative times are clamped to 0 and a PTS before its DTS to
    /// the DTS, since a decoder cannot present a frame before decoding it. A keyframe's first
    /// packet sets random_access_indicator; every frame's first packet carries the PCR (= DTS),
    /// well within the 100 ms interval the standard asks for.
    public mutating func writeVideo(dts: Int64, pts: Int64, keyframe: Bool, annexB: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        writeVideo(dts: dts, pts: pts, keyframe: keyframe, annexB: annexB, into: &out)
        return out
    }

    /// `writeVideo`, appending the packets to `out` (a segment's buffer: no array per frame).
    public mutating func writeVideo(dts: Int64, pts: Int64, keyframe: Bool, annexB: [UInt8], into out: inout [UInt8]) {
        let dtsTicks = Self.ticks(max(0, dts))
        let ptsTicks = Self.ticks(max(0, dts, pts))
        let head = Self.pesHeader(streamID: Self.videoStreamID, pts: ptsTicks, dts: dtsTicks, payloadLength: nil)
        let pcr: UInt64? = pcrPID == Self.videoPID ? dtsTicks : nil
        Self.packetize(head: head, body: annexB[...], pid: Self.videoPID, counter: &videoCounter, randomAccess: keyframe,
                       pcr: pcr, into: &out)
    }

    /// One ADTS frame (or several) as one PES on the audio PID, at `pts` milliseconds.
    public mutating func writeAudio(pts: Int64, adts: [UInt8]) -> [UInt8] {
        writeAudio(pts: pts, frames: adts)
    }

    /// Audio frames (ADTS frames for AAC, MPEG audio frames for MP3) as one PES on the audio
    /// PID, at `pts` milliseconds. In an audio-only stream each PES carries the PCR and is
    /// marked as a random access point.
    public mutating func writeAudio(pts: Int64, frames: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        writeAudio(pts: pts, prefix: [], frames: frames[...], into: &out)
        return out
    }

    /// `writeAudio` of `prefix` + `frames` (an ADTS header and the raw AAC frame it describes,
    /// say), appending the packets to `out`: neither the frame nor the PES is copied first.
    public mutating func writeAudio(pts: Int64, prefix: [UInt8], frames: ArraySlice<UInt8>, into out: inout [UInt8]) {
        let ptsTicks = Self.ticks(max(0, pts))
        var head = Self.pesHeader(streamID: Self.audioStreamID, pts: ptsTicks, dts: ptsTicks,
                                  payloadLength: prefix.count + frames.count)
        head.append(contentsOf: prefix)
        let pid = audioStreamPID
        let carriesPCR = pcrPID == pid
        Self.packetize(head: head, body: frames, pid: pid, counter: &audioCounter, randomAccess: carriesPCR,
                       pcr: carriesPCR ? ptsTicks : nil, into: &out)
    }

    /// Milliseconds to 90 kHz ticks, wrapped to 33 bits as PTS, DTS and PCR base are.
    static func ticks(_ ms: Int64) -> UInt64 {
        UInt64(ms.multipliedReportingOverflow(by: 90).partialValue & 0x1_FFFF_FFFF)
    }

    // MARK: - PSI

    /// program_association_section (2.4.4.3): program 1 → PMT PID.
    func patSection() -> [UInt8] {
        var body = ByteWriter(capacity: 8)
        body.u16(Self.programNumber)
        body.u16(0xE000 | Self.pmtPID)  // 3 reserved bits, program_map_PID
        return Self.section(tableID: 0x00, tableIDExtension: 1, body: body.bytes)  // transport_stream_id 1
    }

    /// TS_program_map_section (2.4.4.8): PCR PID, then one entry per elementary stream.
    func pmtSection() -> [UInt8] {
        var body = ByteWriter(capacity: 16)
        body.u16(0xE000 | pcrPID)  // 3 reserved bits, PCR_PID
        body.u16(0xF000)  // 4 reserved bits, program_info_length 0
        if hasVideo {
            body.u8(Self.streamTypeH264)
            body.u16(0xE000 | Self.videoPID)
            body.u16(0xF000)  // ES_info_length 0
        }
        if let audio {
            body.u8(audio.streamType)
            body.u16(0xE000 | audio.pid)
            body.u16(0xF000)
        }
        return Self.section(tableID: 0x02, tableIDExtension: Self.programNumber, version: pmtVersion, body: body.bytes)
    }

    /// A long-form PSI section: table_id, section_length, the extension id, `version`,
    /// current_next 1, section 0 of 0, `body`, CRC-32/MPEG-2.
    static func section(tableID: UInt8, tableIDExtension: UInt16, version: UInt8 = 0, body: [UInt8]) -> [UInt8] {
        var w = ByteWriter(capacity: 12 + body.count)
        w.u8(tableID)
        // section_syntax_indicator 1, '0', 2 reserved bits, 12-bit length of what follows (CRC included).
        w.u16(0xB000 | UInt16(5 + body.count + 4))
        w.u16(tableIDExtension)
        w.u8(0xC1 | (version & 0x1F) << 1)  // 2 reserved bits, version_number, current_next_indicator 1
        w.u8(0)  // section_number
        w.u8(0)  // last_section_number
        w.append(body)
        w.u32(CRC32MPEG2.checksum(w.bytes))
        return w.bytes
    }

    /// One TS packet carrying a whole section: header with payload_unit_start_indicator,
    /// pointer_field 0, the section, then 0xFF stuffing (2.4.4.2: PSI pads with 0xFF bytes).
    private func appendSection(_ section: [UInt8], pid: UInt16, counter: inout UInt8, to out: inout [UInt8]) {
        let start = out.count
        out.append(0x47)
        out.append(0x40 | UInt8(pid >> 8))
        out.append(UInt8(truncatingIfNeeded: pid))
        out.append(0x10 | counter)  // payload only
        counter = (counter + 1) & 0x0F
        out.append(0)  // pointer_field
        out.append(contentsOf: section)
        out.append(contentsOf: repeatElement(0xFF, count: max(0, start + Self.packetSize - out.count)))
    }
}
