/// The header of one ADTS frame (ISO/IEC 13818-7 6.2 / 14496-3 1.A.2): how MPEG-TS carries
/// AAC. Read when demuxing TS; `AACAudioConfig.adtsHeader` writes one.
public struct ADTSHeader: Equatable, Sendable {
    /// ADTS profile: the MPEG-4 audio object type minus one (1 = LC).
    public var profile: Int
    /// Index in `AACAudioConfig.sampleRates` (0...12).
    public var sampleRateIndex: Int
    public var channelConfiguration: Int
    /// The whole frame, header included (13 bits).
    public var frameLength: Int
    /// 7, or 9 with a CRC.
    public var headerLength: Int
    /// number_of_raw_data_blocks_in_frame + 1.
    public var rawBlocks: Int

    /// The minimum bytes to read a header.
    public static let minimumLength = 7

    /// The AudioSpecificConfig this header implies (object type = profile + 1).
    public var audioConfig: AACAudioConfig {
        AACAudioConfig(objectType: profile + 1, sampleRate: AACAudioConfig.sampleRates[sampleRateIndex],
                       channelConfiguration: channelConfiguration)
    }

    /// Whether an ADTS syncword (12 bits of ones, then layer 00) starts at `i`.
    public static func isSync(_ bytes: ArraySlice<UInt8>, at i: Int) -> Bool {
        i + 1 < bytes.endIndex && bytes[i] == 0xFF && bytes[i + 1] & 0xF6 == 0xF0
    }

    /// Parses the header at the start of `bytes`. Throws `KernelError` when it is short, has no
    /// syncword, names a reserved sampling index or a frame shorter than its header.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> ADTSHeader {
        guard bytes.count >= minimumLength else { throw KernelError.truncated("ADTS header") }
        let s = bytes.startIndex
        guard isSync(bytes, at: s) else { throw KernelError.invalid("ADTS syncword") }
        let protectionAbsent = bytes[s + 1] & 0x01 != 0
        let profile = Int(bytes[s + 2] >> 6)
        let sampleRateIndex = Int((bytes[s + 2] >> 2) & 0x0F)
        let channels = Int((bytes[s + 2] & 0x01) << 2 | bytes[s + 3] >> 6)
        let frameLength = Int(bytes[s + 3] & 0x03) << 11 | Int(bytes[s + 4]) << 3 | Int(bytes[s + 5] >> 5)
        let rawBlocks = Int(bytes[s + 6] & 0x03) + 1
        let headerLength = protectionAbsent ? 7 : 9
        guard sampleRateIndex < AACAudioConfig.sampleRates.count else {
            throw KernelError.invalid("ADTS sampling frequency index \(sampleRateIndex)")
        }
        guard frameLength >= headerLength else { throw KernelError.invalid("ADTS frame length \(frameLength)") }
        return ADTSHeader(profile: profile, sampleRateIndex: sampleRateIndex, channelConfiguration: channels,
                          frameLength: frameLength, headerLength: headerLength, rawBlocks: rawBlocks)
    }
}
