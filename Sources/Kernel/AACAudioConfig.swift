/// An MPEG-4 AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): the AAC sequence header of
/// RTMP/FLV. Turns raw AAC frames into ADTS frames, the form MPEG-TS carries.
public struct AACAudioConfig: Equatable, Sendable {
    /// Audio object type: 1 Main, 2 LC, 3 SSR, 4 LTP, 5 SBR (HE-AAC), 29 PS (HE-AACv2)...
    public var objectType: Int
    /// Index in the MPEG-4 sampling frequency table; 15 when the rate is given explicitly.
    public var sampleRateIndex: Int
    /// Sampling rate in Hz of the AAC core (for HE-AAC, half the output rate).
    public var sampleRate: Int
    /// channelConfiguration: 1-6 as is, 7 = 7.1 (8 channels), 0 = defined in the bitstream.
    public var channelConfiguration: Int
    /// For HE-AAC (object type 5 or 29): the object type of the core coder, usually 2 (LC).
    public var coreObjectType: Int?
    /// For HE-AAC: the output sampling rate after SBR.
    public var extensionSampleRate: Int?

    /// The MPEG-4 sampling frequency table (Table 1.18).
    public static let sampleRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350]
    /// The largest raw frame an ADTS header can describe: frame_length is 13 bits.
    public static let maxADTSPayloadLength = 0x1FFF - 7

    /// Number of channels: 8 for configuration 7, 0 when the bitstream defines them.
    public var channels: Int { channelConfiguration == 7 ? 8 : channelConfiguration }

    /// The object type as SRS names it: "Main", "LC", "SSR", "HE", "HEv2", else "Other".
    public var profileName: String {
        switch objectType {
        case 1: return "Main"
        case 2: return "LC"
        case 3: return "SSR"
        case 5: return "HE"
        case 29: return "HEv2"
        default: return "Other"
        }
    }

    /// A config for the common case: object type, one of `sampleRates`, channel configuration.
    public init(objectType: Int, sampleRate: Int, channelConfiguration: Int) {
        self.objectType = objectType
        self.sampleRate = sampleRate
        self.channelConfiguration = channelConfiguration
        sampleRateIndex = Self.sampleRates.firstIndex(of: sampleRate) ?? 15
        coreObjectType = nil
        extensionSampleRate = nil
    }

    /// Parses an AudioSpecificConfig. Throws `KernelError` if it is truncated or names object
    /// type 0, a reserved sampling index or a zero rate.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> AACAudioConfig {
        var r = BitReader(bytes)
        let objectType = try readObjectType(&r)
        guard objectType != 0 else { throw KernelError.invalid("AAC object type 0") }
        let (index, rate) = try readSampleRate(&r)
        let channelConfiguration = Int(try r.bits(4))
        var config = AACAudioConfig(objectType: objectType, sampleRate: rate, channelConfiguration: channelConfiguration)
        config.sampleRateIndex = index
        // Explicit HE-AAC signalling (1.6.5.2): the extension rate, then the core object type.
        if objectType == 5 || objectType == 29 {
            config.extensionSampleRate = try readSampleRate(&r).rate
            config.coreObjectType = try readObjectType(&r)
        }
        return config
    }

    /// Parses an AudioSpecificConfig held in a whole array.
    public static func parse(_ bytes: [UInt8]) throws -> AACAudioConfig {
        try parse(bytes[...])
    }

    /// 5 bits, or 31 followed by 6 more bits for types 32 and above.
    private static func readObjectType(_ r: inout BitReader) throws -> Int {
        let type = Int(try r.bits(5))
        return type == 31 ? 32 + Int(try r.bits(6)) : type
    }

    /// A 4-bit index into `sampleRates`, or 15 followed by the rate itself in 24 bits.
    private static func readSampleRate(_ r: inout BitReader) throws -> (index: Int, rate: Int) {
        let index = Int(try r.bits(4))
        if index == 15 {
            let rate = Int(try r.bits(24))
            guard rate > 0 else { throw KernelError.invalid("AAC sampling rate 0") }
            return (index, rate)
        }
        guard index < sampleRates.count else { throw KernelError.invalid("AAC sampling frequency index \(index)") }
        return (index, sampleRates[index])
    }

    /// Encodes the AudioSpecificConfig: 2 bytes for LC at a table rate; longer with an explicit
    /// rate, an escaped object type or HE-AAC extension fields.
    public func bytes() -> [UInt8] {
        var w = BitWriter()
        Self.writeObjectType(&w, objectType)
        Self.writeSampleRate(&w, index: sampleRateIndex, rate: sampleRate)
        w.bits(4, UInt32(clamping: channelConfiguration))
        if objectType == 5 || objectType == 29 {
            let rate = extensionSampleRate ?? min(sampleRate, 0xFF_FFFF) * 2
            Self.writeSampleRate(&w, index: Self.sampleRates.firstIndex(of: rate) ?? 15, rate: rate)
            Self.writeObjectType(&w, coreObjectType ?? 2)
        }
        w.bits(3, 0)  // GASpecificConfig: frameLengthFlag, dependsOnCoreCoder, extensionFlag
        return w.bytes
    }

    private static func writeObjectType(_ w: inout BitWriter, _ type: Int) {
        if type >= 31 {
            w.bits(5, 31)
            w.bits(6, UInt32(clamping: type - 32))
        } else {
            w.bits(5, UInt32(clamping: type))
        }
    }

    private static func writeSampleRate(_ w: inout BitWriter, index: Int, rate: Int) {
        if sampleRates.indices.contains(index) {
            w.bits(4, UInt32(index))
        } else {
            w.bits(4, 15)
            w.bits(24, UInt32(clamping: rate))
        }
    }

    /// A 7-byte ADTS header (no CRC) for one raw AAC frame of `payloadLength` bytes.
    /// ADTS profile is the object type minus one, on 2 bits: HE-AAC is signalled as its LC core
    /// with the core rate (implicit SBR, as ffmpeg and SRS write it); other types are clamped
    /// to 0...3. A rate outside the table uses the nearest table index. A payload longer than
    /// `maxADTSPayloadLength` cannot be described: callers should drop it (the length is clamped).
    public func adtsHeader(payloadLength: Int) -> [UInt8] {
        let core = coreObjectType ?? (objectType == 5 || objectType == 29 ? 2 : objectType)
        let profile = UInt32(max(0, min(3, core - 1)))
        let frameLength = UInt32(max(0, min(0x1FFF, payloadLength + 7)))
        let channels = UInt32(max(0, min(7, channelConfiguration)))
        // The 56 bits, most significant first (built in one word: this runs for every frame):
        var v: UInt64 = 0xFFF  // syncword
        v = v << 1 | 0  // ID: MPEG-4
        v = v << 2 | 0  // layer
        v = v << 1 | 1  // protection_absent: no CRC
        v = v << 2 | UInt64(profile)
        v = v << 4 | UInt64(adtsSampleRateIndex & 0xF)
        v = v << 1 | 0  // private_bit
        v = v << 3 | UInt64(channels)
        v = v << 4 | 0  // original_copy, home, copyright_identification_bit and _start
        v = v << 13 | UInt64(frameLength)
        v = v << 11 | 0x7FF  // adts_buffer_fullness: variable bit rate
        v = v << 2 | 0  // number_of_raw_data_blocks_in_frame minus 1
        return (0..<7).map { UInt8(truncatingIfNeeded: v >> UInt64(8 * (6 - $0))) }
    }

    /// The table index for ADTS, which cannot carry an explicit rate.
    private var adtsSampleRateIndex: Int {
        if Self.sampleRates.indices.contains(sampleRateIndex) { return sampleRateIndex }
        // In Double: `sampleRate` may be any Int when the config was built by hand.
        let distance = { (rate: Int) in abs(Double(rate) - Double(self.sampleRate)) }
        var best = 0
        for (i, rate) in Self.sampleRates.enumerated() where distance(rate) < distance(Self.sampleRates[best]) { best = i }
        return best
    }
}
