import Kernel

/// What the API shows of a stream's video: parsed from its sequence header.
public struct VideoCodecInfo: Equatable, Sendable {
    public var codec: String
    public var profile: String
    public var level: String
    public var width: Int
    public var height: Int
}

/// What the API shows of a stream's audio.
public struct AudioCodecInfo: Equatable, Sendable {
    public var codec: String
    public var sampleRate: Int
    public var channels: Int
    public var profile: String
}

/// Reads what the API shows of a stream from its sequence headers.
enum StreamCodecs {
    static func video(fromSequenceHeader payload: [UInt8]) -> VideoCodecInfo? {
        guard let info = try? FLVVideoInfo.parse(payload), info.isSequenceHeader else { return nil }
        switch info.codecID {
        case FLVVideoInfo.codecAVC:
            guard let avc = try? AVCDecoderConfig.parse(payload[info.payloadOffset...]) else {
                return VideoCodecInfo(codec: "H264", profile: "Other", level: "Other", width: 0, height: 0)
            }
            return VideoCodecInfo(codec: "H264", profile: avc.profileName, level: avc.levelName, width: avc.width, height: avc.height)
        case FLVVideoInfo.codecHEVC:
            return VideoCodecInfo(codec: "H265", profile: "Other", level: "Other", width: 0, height: 0)
        default:
            return VideoCodecInfo(codec: "Other", profile: "Other", level: "Other", width: 0, height: 0)
        }
    }

    static func audio(fromSequenceHeader payload: [UInt8]) -> AudioCodecInfo? {
        guard let info = try? FLVAudioInfo.parse(payload), info.isSequenceHeader else { return nil }
        guard info.soundFormat == 10, let aac = try? AACAudioConfig.parse(payload[info.payloadOffset...]) else {
            return AudioCodecInfo(codec: "Other", sampleRate: info.soundRate, channels: info.channels, profile: "Other")
        }
        return AudioCodecInfo(codec: "AAC", sampleRate: aac.sampleRate, channels: aac.channels, profile: aac.profileName)
    }
}
