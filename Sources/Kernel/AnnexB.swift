/// H.264 Annex B byte streams (start code + NAL unit), the form MPEG-TS carries, converted from
/// the length-prefixed (AVCC) form of RTMP/FLV and MP4.
public enum AnnexB {
    /// H.264 NAL unit types this code cares about (Table 7-1).
    public enum NALType {
        public static let idr: UInt8 = 5
        public static let sps: UInt8 = 7
        public static let pps: UInt8 = 8
        public static let aud: UInt8 = 9
    }

    static let startCode: [UInt8] = [0, 0, 0, 1]
    /// An access unit delimiter: primary_pic_type 7 (any slice type) and the stop bit. HLS
    /// (Apple's validator, some hardware decoders) expects one at the start of every access unit.
    static let accessUnitDelimiter: [UInt8] = [0, 0, 0, 1, 0x09, 0xF0]

    /// Converts one RTMP video frame to an Annex B access unit: an AUD, then, before a keyframe
    /// that does not carry its own SPS, the SPS and PPS of `config`, then the frame's NAL units.
    /// AUDs already in the frame are dropped (we add ours) and so are empty NAL units.
    /// Throws `KernelError` if a length runs past the end or the frame has no NAL unit.
    public static func fromAVCC(payload: ArraySlice<UInt8>, nalLengthSize: Int, config: AVCDecoderConfig?,
                                keyframe: Bool) throws -> [UInt8] {
        guard (1...4).contains(nalLengthSize) else { throw KernelError.invalid("NAL length size \(nalLengthSize)") }
        // First pass: validate the lengths and find out whether the frame brings its own SPS,
        // before writing anything.
        var nals: [Range<Int>] = []
        var carriesSPS = false
        var i = payload.startIndex
        while i < payload.endIndex {
            guard payload.endIndex - i >= nalLengthSize else { throw KernelError.truncated("NAL length") }
            var length = 0
            for k in 0..<nalLengthSize { length = length << 8 | Int(payload[i + k]) }
            i += nalLengthSize
            guard length <= payload.endIndex - i else {
                throw KernelError.truncated("NAL unit of \(length) bytes, \(payload.endIndex - i) left")
            }
            if length > 0 {
                let type = payload[i] & 0x1F
                if type == NALType.sps { carriesSPS = true }
                if type != NALType.aud { nals.append(i..<(i + length)) }
            }
            i += length
        }
        guard !nals.isEmpty else { throw KernelError.invalid("AVC frame without NAL units") }

        var out: [UInt8] = []
        out.reserveCapacity(payload.count + nals.count * 4 + 6 + (keyframe ? 64 : 0))
        out.append(contentsOf: accessUnitDelimiter)
        if keyframe && !carriesSPS, let config {
            for nal in config.sps + config.pps {
                out.append(contentsOf: startCode)
                out.append(contentsOf: nal)
            }
        }
        for nal in nals {
            out.append(contentsOf: startCode)
            out.append(contentsOf: payload[nal])
        }
        return out
    }

    /// Converts one frame held in a whole array.
    public static func fromAVCC(payload: [UInt8], nalLengthSize: Int, config: AVCDecoderConfig?,
                                keyframe: Bool) throws -> [UInt8] {
        try fromAVCC(payload: payload[...], nalLengthSize: nalLengthSize, config: config, keyframe: keyframe)
    }

    /// Splits an Annex B byte stream into NAL units (without start codes). Both 3- and 4-byte
    /// start codes are recognised; bytes before the first start code are ignored, and zero
    /// bytes before a start code (trailing_zero_8bits) are not part of the NAL unit before it.
    public static func nalUnits(in stream: ArraySlice<UInt8>) -> [ArraySlice<UInt8>] {
        var units: [ArraySlice<UInt8>] = []
        var start: Int?
        var zeros = 0
        var i = stream.startIndex
        while i < stream.endIndex {
            let b = stream[i]
            if b == 1 && zeros >= 2 {
                if let s = start {
                    let end = i - zeros
                    if end > s { units.append(stream[s..<end]) }
                }
                start = i + 1
                zeros = 0
            } else {
                zeros = b == 0 ? zeros + 1 : 0
            }
            i += 1
        }
        if let s = start, s < stream.endIndex { units.append(stream[s..<stream.endIndex]) }
        return units
    }

    /// Splits an Annex B byte stream held in a whole array.
    public static func nalUnits(in stream: [UInt8]) -> [ArraySlice<UInt8>] {
        nalUnits(in: stream[...])
    }
}
