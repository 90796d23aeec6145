/// The header of an FLV/RTMP video payload (VIDEODATA, E.4.3.1 of the FLV spec, and the
/// Enhanced RTMP extension): what the frame is and where the codec data starts.
public struct FLVVideoInfo: Equatable, Sendable {
    /// FLV codec ids. Enhanced RTMP FourCCs are mapped to these where one exists.
    public static let codecAVC: UInt8 = 7
    public static let codecHEVC: UInt8 = 12

    /// 1 keyframe, 2 inter frame, 3 disposable inter frame, 4 generated keyframe, 5 command frame.
    public var frameType: UInt8
    /// 7 = AVC (H.264), 12 = HEVC; 0 for an Enhanced RTMP FourCC with no legacy id (see `fourCC`).
    public var codecID: UInt8
    /// Enhanced RTMP: the payload carries a FourCC instead of a 4-bit codec id.
    public var isEnhanced: Bool
    /// Enhanced RTMP FourCC, such as "avc1", "hvc1", "av01", "vp09"; nil for legacy payloads.
    public var fourCC: String?
    /// Legacy AVCPacketType (0 sequence header, 1 NALUs, 2 end of sequence) or Enhanced RTMP
    /// PacketType (0 SequenceStart, 1 CodedFrames, 2 SequenceEnd, 3 CodedFramesX, 4 Metadata,
    /// 5 MPEG2TSSequenceStart). 1 for codecs that have no packet type.
    public var packetType: UInt8
    /// The payload is a decoder configuration record (AVCDecoderConfigurationRecord for AVC).
    public var isSequenceHeader: Bool
    /// Presentation minus decoding time in milliseconds (signed 24-bit); 0 when absent.
    public var compositionTime: Int32
    /// Where the codec data starts in the payload: 5 for AVC/HEVC, 8 for Enhanced CodedFrames of
    /// avc1/hvc1, 1 for other legacy codecs.
    public var payloadOffset: Int

    /// Frame type 1. Sequence headers are sent as keyframes too: check `isSequenceHeader` first.
    /// (Type 4, a server-generated keyframe for seeking, is not counted, as in SRS.)
    public var isKeyframe: Bool { frameType == 1 }

    /// Parses the first bytes of a video payload. Throws `KernelError` when the payload is too
    /// short for its header or names an impossible frame type, codec or packet type.
    public static func parse(_ payload: ArraySlice<UInt8>) throws -> FLVVideoInfo {
        guard let b0 = payload.first else { throw KernelError.truncated("FLV video header") }
        if b0 & 0x80 != 0 { return try parseEnhanced(payload) }
        let frameType = b0 >> 4
        let codecID = b0 & 0x0F
        guard (1...5).contains(frameType) else { throw KernelError.invalid("FLV video frame type \(frameType)") }
        guard codecID >= 2 else { throw KernelError.invalid("FLV video codec id \(codecID)") }
        guard codecID == codecAVC || codecID == codecHEVC else {
            return FLVVideoInfo(frameType: frameType, codecID: codecID, isEnhanced: false, fourCC: nil, packetType: 1,
                                isSequenceHeader: false, compositionTime: 0, payloadOffset: 1)
        }
        guard payload.count >= 5 else { throw KernelError.truncated("FLV AVC video header") }
        let start = payload.startIndex
        let packetType = payload[start + 1]
        guard packetType <= 2 else { throw KernelError.invalid("AVC packet type \(packetType)") }
        return FLVVideoInfo(frameType: frameType, codecID: codecID, isEnhanced: false, fourCC: nil, packetType: packetType,
                            isSequenceHeader: packetType == 0, compositionTime: signed24(payload, at: start + 2),
                            payloadOffset: 5)
    }

    /// Parses the first bytes of a video payload held in a whole array.
    public static func parse(_ payload: [UInt8]) throws -> FLVVideoInfo {
        try parse(payload[...])
    }

    /// Enhanced RTMP (veovera enhanced-rtmp v1/v2): IsExHeader bit, 3-bit frame type, 4-bit
    /// packet type, then a FourCC. Multitrack (6) and ModEx (7) packets are rejected: their
    /// layout nests another header we do not need for H.264 HLS.
    private static func parseEnhanced(_ payload: ArraySlice<UInt8>) throws -> FLVVideoInfo {
        let start = payload.startIndex
        let b0 = payload[start]
        let frameType = (b0 >> 4) & 0x07
        let packetType = b0 & 0x0F
        guard (1...5).contains(frameType) else { throw KernelError.invalid("enhanced video frame type \(frameType)") }
        guard packetType <= 5 else { throw KernelError.invalid("enhanced video packet type \(packetType)") }
        guard payload.count >= 5 else { throw KernelError.truncated("enhanced video FourCC") }
        let fourCC = String(decoding: payload[(start + 1)..<(start + 5)], as: UTF8.self)
        let codecID: UInt8 = fourCC == "avc1" ? codecAVC : fourCC == "hvc1" ? codecHEVC : 0
        var offset = 5
        var compositionTime: Int32 = 0
        // Only CodedFrames of AVC and HEVC carry a composition time; CodedFramesX means it is 0.
        if packetType == 1 && codecID != 0 {
            guard payload.count >= 8 else { throw KernelError.truncated("enhanced video composition time") }
            compositionTime = signed24(payload, at: start + 5)
            offset = 8
        }
        return FLVVideoInfo(frameType: frameType, codecID: codecID, isEnhanced: true, fourCC: fourCC, packetType: packetType,
                            isSequenceHeader: packetType == 0, compositionTime: compositionTime, payloadOffset: offset)
    }

    private static func signed24(_ bytes: ArraySlice<UInt8>, at i: Int) -> Int32 {
        let raw = Int32(bytes[i]) << 16 | Int32(bytes[i + 1]) << 8 | Int32(bytes[i + 2])
        return raw & 0x80_0000 != 0 ? raw - 0x100_0000 : raw
    }
}
