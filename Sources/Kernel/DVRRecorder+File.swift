extension DVRRecorder {
    /// The file being recorded: its container writer, its timestamp corrector, its span and
    /// the bytes not yet handed out in a `.write`.
    struct OpenFile {
        /// What happened to a message.
        enum Result: Equatable {
            case written
            /// The message changes an MP4 track's configuration: it must start a new file.
            case restart
        }

        let name: DVRFile
        /// When the file started (its name's time).
        let time: CalendarTime
        /// The container writer: exactly one of them. (Two optionals, not an enum with payloads:
        /// those are changed in place, where taking a writer out of an enum would copy its
        /// MP4 tables at every sample.)
        private(set) var flv: FLVFileWriter?
        private(set) var mp4: MP4Writer?
        private var jitter: TimeJitter
        private var pending: [UInt8] = []
        /// Earliest and latest corrected timestamps (SRS's `SrsFragment` duration).
        private var minMs: Int64?
        private var lastMs: Int64 = 0
        /// A video keyframe was written (FLV drops video before it with dvr_wait_keyframe).
        private var hasKeyframe = false
        /// Warnings already given for this file.
        private var warned: Set<String> = []

        init(name: DVRFile, time: CalendarTime, mp4: Bool, jitter: TimeJitter.Mode) {
            self.name = name
            self.time = time
            if mp4 { self.mp4 = MP4Writer() } else { flv = FLVFileWriter() }
            self.jitter = TimeJitter(mode: jitter)
        }

        /// Milliseconds from the earliest to the latest message written (as SRS measures a
        /// file for `dvr_duration` and `[duration]`).
        var durationMs: Int64 { max(0, lastMs - (minMs ?? lastMs)) }

        /// Samples in an MP4's index (0 for FLV, which keeps no index).
        var mp4SampleCount: Int { (mp4?.videoSampleCount ?? 0) + (mp4?.audioSampleCount ?? 0) }

        mutating func start(metadata: [AMF0Property]) {
            pending += flv?.start(metadata: metadata) ?? mp4?.start() ?? []
        }

        /// Writes one message; returns a warning to log once for this file, if any.
        mutating func write(_ m: DVRRecorder.Message, waitKeyframe: Bool) -> (result: Result, warning: String?) {
            var warning: String?
            if mp4 != nil {
                let result: Result
                (result, warning) = configure(m)
                if result == .restart { return (.restart, warning) }
            }
            let ms = jitter.correct(Int64(m.timestamp))
            minMs = min(minMs ?? ms, ms)
            lastMs = ms
            if flv != nil {
                if m.isVideoKeyframe { hasKeyframe = true }
                if m.isVideo && waitKeyframe && !hasKeyframe && !m.isSequenceHeader { return (.written, warning) }
                guard let tag = try? flv!.tag(type: m.isVideo ? FLVTagType.video : FLVTagType.audio, timestamp: ms,
                                              payload: m.payload[...]) else {
                    return (.written, warnOnce("a message of \(m.payload.count) bytes does not fit an FLV tag, skipped"))
                }
                pending += tag
            } else {
                pending += writeSample(m, ms)
            }
            return (.written, warning)
        }

        /// For MP4: takes the message's codec configuration, if it has one. Returns `.restart`
        /// when it changes a track that has samples, or a warning when the message cannot be
        /// recorded in MP4.
        private mutating func configure(_ m: DVRRecorder.Message) -> (Result, String?) {
            if let v = m.video {
                guard v.codecID == FLVVideoInfo.codecAVC else {
                    return (.written, warnOnce("video codec \(v.fourCC ?? String(v.codecID)) is not recorded in MP4 (H.264 only)"))
                }
                guard v.isSequenceHeader else { return (.written, nil) }
                do {
                    let result = try mp4!.videoConfiguration(m.payload[min(v.payloadOffset, m.payload.count)...])
                    return (result == .changed ? .restart : .written, nil)
                } catch {
                    return (.written, warnOnce("AVC sequence header \(error), video not recorded until a good one"))
                }
            }
            guard let a = m.audio else { return (.written, nil) }
            let data = m.payload[min(a.payloadOffset, m.payload.count)...]
            let codec: MP4Writer.AudioCodec
            switch a.soundFormat {
            case FLVAudioInfo.formatAAC:
                guard a.isSequenceHeader else { return (.written, nil) }
                guard let config = try? AACAudioConfig.parse(data) else {
                    return (.written, warnOnce("AAC sequence header invalid, audio not recorded until a good one"))
                }
                codec = .aac(config, specificConfig: Array(data))
            case FLVAudioInfo.formatMP3:
                guard let header = try? MP3FrameHeader.parse(data) else {
                    return (.written, warnOnce("an MP3 message without a frame header, skipped"))
                }
                codec = .mp3(header)
            default:
                return (.written, warnOnce("audio codec \(a.fourCC ?? String(a.soundFormat)) is not recorded in MP4 (AAC and MP3 only)"))
            }
            return (mp4!.audioConfiguration(codec) == .changed ? .restart : .written, nil)
        }

        /// The bytes of one MP4 sample (nothing for sequence headers and end-of-sequence).
        private mutating func writeSample(_ m: DVRRecorder.Message, _ ms: Int64) -> [UInt8] {
            if let v = m.video {
                // Packet type 1: coded frames (3, Enhanced CodedFramesX, has no composition time).
                guard v.packetType == 1 || (v.isEnhanced && v.packetType == 3), v.payloadOffset <= m.payload.count else { return [] }
                return mp4!.writeVideo(dts: ms, compositionTime: v.compositionTime, keyframe: v.isKeyframe,
                                       sample: m.payload[v.payloadOffset...])
            }
            guard let a = m.audio, !a.isSequenceHeader, a.payloadOffset <= m.payload.count else { return [] }
            let data = m.payload[a.payloadOffset...]
            if a.soundFormat == FLVAudioInfo.formatMP3 && (try? MP3FrameHeader.parse(data)) == nil { return [] }
            return mp4!.writeAudio(dts: ms, sample: data)
        }

        /// `warning` the first time it is given for this file, else nil.
        private mutating func warnOnce(_ warning: String) -> String? {
            warned.insert(warning).inserted ? warning : nil
        }

        /// Hands out the gathered bytes as one `.write` once they reach `threshold` (0: any).
        mutating func flush(into actions: inout [DVRAction], ifAtLeast threshold: Int) {
            guard !pending.isEmpty, pending.count >= threshold else { return }
            actions.append(.write(pending))
            pending = []
        }

        /// Ends the container: gathers its last bytes (the MP4 moov) and returns the patches of
        /// its header region, or nil when the file holds nothing playable (an MP4 without samples).
        mutating func finish() -> [FilePatch]? {
            if let flv { return flv.finish() }
            guard let (moov, patch) = mp4?.finish() else { return nil }
            pending += moov
            return [patch]
        }
    }
}
