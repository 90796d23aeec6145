/// One elementary stream of an MPEG-TS program, as its PMT announces it (ISO/IEC 13818-1
/// 2.4.4.8 and Table 2-34 for the stream types).
public struct TSElementaryStream: Equatable, Sendable {
    public var pid: UInt16
    /// PMT stream_type: 0x1B H.264, 0x24 HEVC, 0x0F AAC in ADTS, 0x03/0x04 MPEG audio...
    public var streamType: UInt8

    public init(pid: UInt16, streamType: UInt8) {
        self.pid = pid
        self.streamType = streamType
    }

    public static let typeH264: UInt8 = 0x1B
    public static let typeHEVC: UInt8 = 0x24
    public static let typeAACADTS: UInt8 = 0x0F

    /// The codec as log lines name it: "H.264", "HEVC", "AAC", "MP3", ... or the type in hex.
    public var codecName: String {
        switch streamType {
        case 0x01, 0x02: return "MPEG-2 video"
        case 0x03, 0x04: return "MP3"
        case 0x0F: return "AAC"
        case 0x10: return "MPEG-4 video"
        case 0x11: return "AAC-LATM"
        case 0x1B: return "H.264"
        case 0x24: return "HEVC"
        case 0x33: return "VVC"
        case 0x06: return "private data (Opus, AC-3...)"
        case 0x81: return "AC-3"
        case 0x87: return "E-AC-3"
        default:
            let hex = String(streamType, radix: 16)
            return "stream type 0x" + (hex.count < 2 ? "0" + hex : hex)
        }
    }
}
