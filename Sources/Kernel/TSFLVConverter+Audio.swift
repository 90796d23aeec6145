/// AAC: ADTS frames to raw frames, their headers to the AAC sequence header.
extension TSFLVConverter {
    /// FLV audio tag header of AAC: SoundFormat 10, 44 kHz, 16-bit, stereo (the flags FLV
    /// requires for AAC; the real rate and channels are in the AudioSpecificConfig).
    static let aacTagHeader: UInt8 = 0xAF

    /// A PES may carry several ADTS frames (ffmpeg packs up to ~100 ms): each gets its own
    /// time, the PES's PTS plus 1024 samples per frame before it, at the frame's real rate.
    /// (SRS uses the FLV header's rate table there, which is wrong at 48 kHz.) A frame counts
    /// only if it fits and is followed by another syncword or the end; otherwise the search goes
    /// on from the next byte (a false syncword in garbage), and a frame cut short is dropped.
    mutating func convertAudio(_ pes: TSDemuxer.PES, into out: inout [Output]) {
        guard let rawPTS = pes.pts else {
            droppedFrames += 1
            return
        }
        let pts = clock.unwrap(rawPTS)
        let data = pes.payload[...]
        var i = data.startIndex
        var index: Int64 = 0
        // A header was seen that led nowhere: a lost frame unless a real one follows.
        var rejected = false
        while data.endIndex - i >= ADTSHeader.minimumLength {
            guard ADTSHeader.isSync(data, at: i), let header = try? ADTSHeader.parse(data[i...]) else {
                i += 1
                continue
            }
            let next = i + header.frameLength
            guard next <= data.endIndex, next == data.endIndex || ADTSHeader.isSync(data, at: next) else {
                rejected = true
                i += 1
                continue
            }
            rejected = false
            defer { i = next }
            let raw = data[(i + header.headerLength)..<next]
            // Several raw blocks would need the CRC layout to split: no encoder we serve sends them.
            guard header.rawBlocks == 1, !raw.isEmpty else {
                droppedFrames += 1
                continue
            }
            let config = header.audioConfig
            let ticks = pts &+ index * 1024 * 90_000 / Int64(config.sampleRate)
            index += 1
            let timestamp = Self.flvTimestamp(Self.milliseconds(ticks))
            let asc = config.bytes()
            if asc != sentAudioConfig {
                sentAudioConfig = asc
                out.append(.frame(Frame(type: FLVTagType.audio, timestamp: timestamp, payload: [Self.aacTagHeader, 0x00] + asc,
                                        isSequenceHeader: true, isKeyframe: false)))
            }
            var payload: [UInt8] = [Self.aacTagHeader, 0x01]
            payload.append(contentsOf: raw)
            out.append(.frame(Frame(type: FLVTagType.audio, timestamp: timestamp, payload: payload,
                                    isSequenceHeader: false, isKeyframe: false)))
        }
        if rejected { droppedFrames += 1 }
    }
}
