/// The header of an FLV/RTMP audio payload (AUDIODATA, E.4.2.1 of the FLV spec, and the
/// Enhanced RTMP v2 extension): the format and where the codec data starts.
public struct FLVAudioInfo: Equatable, Sendable {
    /// FLV SoundFormat ids.
    public static let formatMP3: UInt8 = 2
    public static let formatAAC: UInt8 = 10
    public static let formatOpus: UInt8 = 13
    /// SoundFormat 9 announces an Enhanced RTMP header (packet type + FourCC).
    public static let formatExHeader: UInt8 = 9

    /// FLV SoundFormat: 10 = AAC, 2 = MP3... Enhanced FourCCs "mp4a", ".mp3" and "Opus" are
    /// mapped to 10, 2 and 13; other FourCCs give 9 (see `fourCC`).
    public var soundFormat: UInt8
    /// Enhanced RTMP FourCC, such as "mp4a", "Opus", "ac-3"; nil for legacy payloads.
    public var fourCC: String?
    /// Sampling rate announced by the FLV header, in Hz (5512, 11025, 22050 or 44100; AAC
    /// always says 44100: the real rate is in the AudioSpecificConfig). 0 for Enhanced payloads.
    public var soundRate: Int
    /// Bits per sample: 8 or 16. 0 for Enhanced payloads.
    public var soundSize: Int
    /// 1 mono, 2 stereo, as announced by the FLV header. 0 for Enhanced payloads.
    public var channels: Int
    /// Legacy AACPacketType (0 sequence header, 1 raw) or Enhanced AudioPacketType
    /// (0 SequenceStart, 1 CodedFrames, 2 SequenceEnd, 4 MultichannelConfig); 1 when absent.
    public var packetType: UInt8
    /// The payload is a decoder configuration (AudioSpecificConfig for AAC).
    public var isSequenceHeader: Bool
    /// Where the codec data starts: 2 for AAC, 5 for Enhanced payloads, 1 otherwise.
    public var payloadOffset: Int

    public var isEnhanced: Bool { fourCC != nil }

    private static let rates = [5512, 11025, 22050, 44100]

    /// Parses the first bytes of an audio payload; throws `KernelError` when it is too short.
    public static func parse(_ payload: ArraySlice<UInt8>) throws -> FLVAudioInfo {
        guard let b0 = payload.first else { throw KernelError.truncated("FLV audio header") }
        let format = b0 >> 4
        let start = payload.startIndex
        if format == formatExHeader { return try parseEnhanced(payload) }
        let rate = rates[Int((b0 >> 2) & 0x03)]
        let size = b0 & 0x02 != 0 ? 16 : 8
        let channels = b0 & 0x01 != 0 ? 2 : 1
        guard format == formatAAC else {
            return FLVAudioInfo(soundFormat: format, fourCC: nil, soundRate: rate, soundSize: size, channels: channels,
                                packetType: 1, isSequenceHeader: false, payloadOffset: 1)
        }
        guard payload.count >= 2 else { throw KernelError.truncated("FLV AAC audio header") }
        let packetType = payload[start + 1]
        guard packetType <= 1 else { throw KernelError.invalid("AAC packet type \(packetType)") }
        return FLVAudioInfo(soundFormat: format, fourCC: nil, soundRate: rate, soundSize: size, channels: channels,
                            packetType: packetType, isSequenceHeader: packetType == 0, payloadOffset: 2)
    }

    /// Parses the first bytes of an audio payload held in a whole array.
    public static func parse(_ payload: [UInt8]) throws -> FLVAudioInfo {
        try parse(payload[...])
    }

    /// Enhanced RTMP v2 audio: SoundFormat 9, 4-bit AudioPacketType, FourCC. Multitrack (5) and
    /// ModEx (7) packets are rejected: they nest further headers.
    private static func parseEnhanced(_ payload: ArraySlice<UInt8>) throws -> FLVAudioInfo {
        let start = payload.startIndex
        let packetType = payload[start] & 0x0F
        guard [0, 1, 2, 4].contains(packetType) else {
            throw KernelError.invalid("enhanced audio packet type \(packetType)")
        }
        guard payload.count >= 5 else { throw KernelError.truncated("enhanced audio FourCC") }
        let fourCC = String(decoding: payload[(start + 1)..<(start + 5)], as: UTF8.self)
        let format: UInt8
        switch fourCC {
        case "mp4a": format = formatAAC
        case ".mp3": format = formatMP3
        case "Opus": format = formatOpus
        default: format = formatExHeader
        }
        return FLVAudioInfo(soundFormat: format, fourCC: fourCC, soundRate: 0, soundSize: 0, channels: 0,
                            packetType: packetType, isSequenceHeader: packetType == 0, payloadOffset: 5)
    }
}
