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
