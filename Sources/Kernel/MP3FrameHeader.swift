/// The 4-byte header of an MPEG audio frame (ISO/IEC 11172-3 2.4.1.3, 13818-3 and the
/// unofficial MPEG 2.5 extension): what FLV SoundFormat 2 ("MP3") carries after its one-byte
/// audio header. MP4 needs its sampling rate and frame duration, MPEG-TS its MPEG version.
public struct MP3FrameHeader: Equatable, Sendable {
    /// MPEG version: 1, 2 (low sampling frequencies) or 2.5.
    public enum Version: Equatable, Sendable {
        case mpeg1, mpeg2, mpeg25
    }

    public var version: Version
    /// Layer 1, 2 or 3.
    public var layer: Int
    /// Kilobits per second; 0 for the "free format" index, which this parser refuses.
    public var bitrateKbps: Int
    /// Sampling rate in Hz: 32000, 44100, 48000 (MPEG-1), half (MPEG-2) or a quarter (2.5).
    public var sampleRate: Int
    /// 1 for single channel mode, else 2.
    public var channels: Int
    /// One extra slot (byte, or 4 bytes in layer 1) in this frame.
    public var padding: Bool

    /// PCM samples per channel that one frame decodes to: 384 (layer 1), 1152 (layer 2, and
    /// layer 3 of MPEG-1), 576 (layer 3 of MPEG-2 and 2.5).
    public var samplesPerFrame: Int {
        switch layer {
        case 1: return 384
        case 2: return 1152
        default: return version == .mpeg1 ? 1152 : 576
        }
    }

    /// Bytes in the frame, header included.
    public var frameLength: Int {
        let bitsPerSecond = bitrateKbps * 1000
        if layer == 1 { return (12 * bitsPerSecond / sampleRate + (padding ? 1 : 0)) * 4 }
        let coefficient = layer == 3 && version != .mpeg1 ? 72 : 144
        return coefficient * bitsPerSecond / sampleRate + (padding ? 1 : 0)
    }

    private static let rates: [Version: [Int]] = [.mpeg1: [44100, 48000, 32000], .mpeg2: [22050, 24000, 16000],
                                                  .mpeg25: [11025, 12000, 8000]]
    // Bitrate indexes 1...14 (0 is free format, 15 is forbidden).
    private static let mpeg1Bitrates = [
        1: [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
        2: [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
        3: [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    ]
    private static let mpeg2Layer1Bitrates = [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256]
    private static let mpeg2Layer23Bitrates = [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]

    /// Parses the header at the start of `bytes`. Throws `KernelError` when it is short, lacks
    /// the 11-bit sync word, or names a reserved version, layer, rate or the free/bad bitrate.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> MP3FrameHeader {
        guard bytes.count >= 4 else { throw KernelError.truncated("MP3 frame header") }
        let s = bytes.startIndex
        let b1 = bytes[s + 1], b2 = bytes[s + 2], b3 = bytes[s + 3]
        guard bytes[s] == 0xFF, b1 & 0xE0 == 0xE0 else { throw KernelError.invalid("MP3 frame sync word") }
        let version: Version
        switch (b1 >> 3) & 0x03 {
        case 0: version = .mpeg25
        case 2: version = .mpeg2
        case 3: version = .mpeg1
        default: throw KernelError.invalid("MPEG audio version (reserved)")
        }
        let layerBits = (b1 >> 1) & 0x03
        guard layerBits != 0 else { throw KernelError.invalid("MPEG audio layer (reserved)") }
        let layer = 4 - Int(layerBits)
        let bitrateIndex = Int(b2 >> 4)
        guard (1...14).contains(bitrateIndex) else { throw KernelError.invalid("MP3 bitrate index \(bitrateIndex)") }
        let rateIndex = Int((b2 >> 2) & 0x03)
        guard rateIndex < 3, let rate = rates[version]?[rateIndex] else { throw KernelError.invalid("MP3 sampling rate index \(rateIndex)") }
        let table: [Int]
        if version == .mpeg1 {
            table = mpeg1Bitrates[layer] ?? []
        } else {
            table = layer == 1 ? mpeg2Layer1Bitrates : mpeg2Layer23Bitrates
        }
        return MP3FrameHeader(version: version, layer: layer, bitrateKbps: table[bitrateIndex - 1], sampleRate: rate,
                              channels: (b3 >> 6) == 3 ? 1 : 2, padding: (b2 >> 1) & 1 == 1)
    }

    /// Parses the header at the start of a whole array.
    public static func parse(_ bytes: [UInt8]) throws -> MP3FrameHeader {
        try parse(bytes[...])
    }

    /// How many whole frames `bytes` holds, walking frame lengths from its start (an FLV tag
    /// usually carries one). Stops at the first byte that is not a frame header; at least 1.
    public static func frameCount(in bytes: ArraySlice<UInt8>) -> Int {
        var count = 0
        var i = bytes.startIndex
        while i < bytes.endIndex, let header = try? parse(bytes[i...]), header.frameLength > 0 {
            count += 1
            i += header.frameLength
        }
        return max(1, count)
    }
}
