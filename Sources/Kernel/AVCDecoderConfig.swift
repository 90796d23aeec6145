/// An AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.3.3.1): the H.264 sequence header of
/// RTMP/FLV, carrying the NAL length size and the SPS and PPS NAL units.
public struct AVCDecoderConfig: Equatable, Sendable {
    public var version: UInt8
    /// AVCProfileIndication: profile_idc of the SPS (66 Baseline, 77 Main, 100 High...).
    public var profileIndication: UInt8
    public var profileCompatibility: UInt8
    /// AVCLevelIndication: level_idc of the SPS, ten times the level (31 = 3.1).
    public var levelIndication: UInt8
    /// Bytes of the big-endian length before each NAL unit in frames: 1, 2, 3 or 4.
    public var nalLengthSize: Int
    /// SPS NAL units (header byte included), as carried in the record.
    public var sps: [[UInt8]]
    /// PPS NAL units (header byte included).
    public var pps: [[UInt8]]
    /// The first SPS decoded, or nil if it could not be: the record stays usable for muxing.
    public var parsedSPS: H264SPS?

    /// Displayed width in pixels; 0 when the SPS could not be parsed.
    public var width: Int { parsedSPS?.width ?? 0 }
    /// Displayed height in pixels (cropping applied: 1080, not 1088); 0 when unknown.
    public var height: Int { parsedSPS?.height ?? 0 }

    /// Builds a record from parameter sets (for example taken from an Annex B stream).
    /// Profile and level come from the first SPS.
    public init(sps: [[UInt8]], pps: [[UInt8]], nalLengthSize: Int = 4) {
        let first = sps.first ?? []
        version = 1
        profileIndication = first.count > 1 ? first[1] : 0
        profileCompatibility = first.count > 2 ? first[2] : 0
        levelIndication = first.count > 3 ? first[3] : 0
        self.nalLengthSize = nalLengthSize
        self.sps = sps
        self.pps = pps
        parsedSPS = try? H264SPS.parse(first)
    }

    private init(version: UInt8, profile: UInt8, compatibility: UInt8, level: UInt8, nalLengthSize: Int,
                 sps: [[UInt8]], pps: [[UInt8]]) {
        self.version = version
        profileIndication = profile
        profileCompatibility = compatibility
        levelIndication = level
        self.nalLengthSize = nalLengthSize
        self.sps = sps
        self.pps = pps
        parsedSPS = sps.first.flatMap { try? H264SPS.parse($0) }
    }

    /// Parses a record. Throws `KernelError` if it is truncated, a parameter set runs past its
    /// end, or it has no SPS or no PPS (SRS rejects those too: nothing could be decoded).
    public static func parse(_ bytes: ArraySlice<UInt8>) throws -> AVCDecoderConfig {
        var r = ByteReader(Array(bytes))
        let version = try r.u8()
        let profile = try r.u8()
        let compatibility = try r.u8()
        let level = try r.u8()
        let nalLengthSize = Int(try r.u8() & 0x03) + 1
        let spsCount = Int(try r.u8() & 0x1F)
        var sps: [[UInt8]] = []
        for _ in 0..<spsCount {
            let length = Int(try r.u16())
            sps.append(Array(try r.read(length)))
        }
        let ppsCount = Int(try r.u8())
        var pps: [[UInt8]] = []
        for _ in 0..<ppsCount {
            let length = Int(try r.u16())
            pps.append(Array(try r.read(length)))
        }
        // High-profile records may continue with chroma format and bit depths; the SPS has them.
        guard sps.contains(where: { !$0.isEmpty }) else { throw KernelError.invalid("AVC sequence header without SPS") }
        guard pps.contains(where: { !$0.isEmpty }) else { throw KernelError.invalid("AVC sequence header without PPS") }
        return AVCDecoderConfig(version: version, profile: profile, compatibility: compatibility, level: level,
                                nalLengthSize: nalLengthSize, sps: sps.filter { !$0.isEmpty }, pps: pps.filter { !$0.isEmpty })
    }

    /// Parses a record held in a whole array.
    public static func parse(_ bytes: [UInt8]) throws -> AVCDecoderConfig {
        try parse(bytes[...])
    }

    /// Encodes the record (version 1 layout, without the high-profile extension).
    public func bytes() -> [UInt8] {
        var w = ByteWriter()
        w.u8(version)
        w.u8(profileIndication)
        w.u8(profileCompatibility)
        w.u8(levelIndication)
        w.u8(0xFC | UInt8(truncatingIfNeeded: max(1, min(4, nalLengthSize)) - 1))
        let spsList = sps.prefix(31).filter { $0.count <= 0xFFFF }
        w.u8(0xE0 | UInt8(spsList.count))
        for s in spsList {
            w.u16(UInt16(s.count))
            w.append(s)
        }
        let ppsList = pps.prefix(255).filter { $0.count <= 0xFFFF }
        w.u8(UInt8(ppsList.count))
        for p in ppsList {
            w.u16(UInt16(p.count))
            w.append(p)
        }
        return w.bytes
    }

    /// The profile as SRS names it in its API and logs: "Baseline", "Main", "Extended", "High",
    /// "High(10)", "High(422)", "High(444)", "High(444+Predictive)", else "Other".
    public var profileName: String {
        switch profileIndication {
        case 66: return "Baseline"
        case 77: return "Main"
        case 88: return "Extended"
        case 100: return "High"
        case 110: return "High(10)"
        case 122: return "High(422)"
        case 144: return "High(444)"
        case 244: return "High(444+Predictive)"
        default: return "Other"
        }
    }

    /// The level as a decimal string: 30 → "3", 31 → "3.1", 40 → "4". SRS prints the same for the
    /// levels it knows; for others (4.2, 5.2, 6...) it says "Other" where we give the number.
    public var levelName: String {
        let level = Int(levelIndication)
        return level % 10 == 0 ? "\(level / 10)" : "\(level / 10).\(level % 10)"
    }
}
