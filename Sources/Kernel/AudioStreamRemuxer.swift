/// Turns a live stream's audio into a raw audio stream for HTTP-AAC and HTTP-MP3 players
/// (`http_remux` mounts ending in `.aac` or `.mp3`; SRS's `SrsAacTransmuxer` and
/// `SrsMp3Transmuxer`): AAC frames get an ADTS header each, MP3 frames are passed as they are.
/// Every output is whole frames, so one encoding is shared by all players and a player can
/// join at any message.
public struct AudioStreamRemuxer: Sendable {
    /// The stream's format.
    public enum Format: Sendable {
        case aac, mp3
    }

    /// What SRS sends first on an HTTP-MP3 response (`SrsMp3Transmuxer::write_header`): an
    /// ID3v2.3 tag of 10 bytes holding one empty frame.
    public static let mp3StreamHeader: [UInt8] = Array("ID3".utf8) + [3, 0, 0, 0, 0, 0, 0x0A] + [UInt8](repeating: 0, count: 10)

    public let format: Format
    private var aac: AACAudioConfig?

    public init(format: Format) {
        self.format = format
    }

    /// The bytes an audio message adds to the stream; nil for sequence headers, AAC before its
    /// sequence header, and audio in another codec than the stream's.
    public mutating func audio(payload: [UInt8]) -> [UInt8]? {
        guard let info = try? FLVAudioInfo.parse(payload), info.payloadOffset <= payload.count else { return nil }
        let data = payload[info.payloadOffset...]
        switch (format, info.soundFormat) {
        case (.aac, FLVAudioInfo.formatAAC):
            if info.isSequenceHeader {
                aac = try? AACAudioConfig.parse(data)
                return nil
            }
            guard let aac, !data.isEmpty, data.count <= AACAudioConfig.maxADTSPayloadLength else { return nil }
            return aac.adtsHeader(payloadLength: data.count) + data
        case (.mp3, FLVAudioInfo.formatMP3):
            return data.isEmpty ? nil : Array(data)
        default:
            return nil
        }
    }
}
