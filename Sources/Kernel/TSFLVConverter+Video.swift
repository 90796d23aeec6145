/// H.264: Annex B access units to AVCC frames, SPS and PPS to the AVC sequence header.
extension TSFLVConverter {
    mutating func convertVideo(_ pes: TSDemuxer.PES, into out: inout [Output]) {
        guard let rawPTS = pes.pts else {
            droppedFrames += 1
            return
        }
        let pts = Self.milliseconds(clock.unwrap(rawPTS))
        let dts = pes.dts.map { Self.milliseconds(clock.unwrap($0)) } ?? pts
        var nals: [ArraySlice<UInt8>] = []
        var keyframe = false
        var parameterSets = false
        for nal in AnnexB.nalUnits(in: pes.payload) {
            guard let header = nal.first else { continue }
            switch header & 0x1F {
            case AnnexB.NALType.aud:
                continue  // FLV frames carry none; the TS muxer adds its own
            case AnnexB.NALType.sps:
                sps = Array(nal)
                parameterSets = true
            case AnnexB.NALType.pps:
                pps = Array(nal)
                parameterSets = true
            case AnnexB.NALType.idr:
                keyframe = true
                nals.append(nal)
            default:
                nals.append(nal)
            }
        }
        // Encoders repeat SPS and PPS before each keyframe: a new header only when they change.
        if parameterSets, let sps, let pps {
            let record = AVCDecoderConfig(sps: [sps], pps: [pps]).bytes()
            if record != sentVideoConfig {
                sentVideoConfig = record
                out.append(.frame(Frame(type: FLVTagType.video, timestamp: Self.flvTimestamp(dts),
                                        payload: [0x17, 0x00, 0x00, 0x00, 0x00] + record,
                                        isSequenceHeader: true, isKeyframe: false)))
            }
        }
        guard !nals.isEmpty else { return }
        guard sentVideoConfig != nil else {
            droppedFrames += 1
            return
        }
        let cts = Int32(clamping: max(-0x80_0000, min(0x7F_FFFF, pts - dts)))
        var w = ByteWriter(capacity: 5 + nals.reduce(0) { $0 + 4 + $1.count })
        w.u8(keyframe ? 0x17 : 0x27)  // frame type, codec 7 (AVC)
        w.u8(1)  // AVCPacketType: NALUs
        w.u24(UInt32(bitPattern: cts) & 0xFF_FFFF)
        for nal in nals {
            w.u32(UInt32(nal.count))
            w.append(nal)
        }
        out.append(.frame(Frame(type: FLVTagType.video, timestamp: Self.flvTimestamp(dts), payload: w.bytes,
                                isSequenceHeader: false, isKeyframe: keyframe)))
    }
}
