/// FLV tag types, as in RTMP message types.
public enum FLVTagType {
    public static let audio: UInt8 = 8
    public static let video: UInt8 = 9
    public static let script: UInt8 = 18
}

/// Encodes FLV tags (E.4.1): an 11-byte header, the payload, then the 4-byte PreviousTagSize.
public enum FLVTagWriter {
    /// The largest payload an FLV tag can carry: DataSize is 24 bits.
    public static let maxPayloadSize = 0xFF_FFFF

    /// One tag: type, 24-bit size, timestamp (low 24 bits, then the high 8 bits in
    /// TimestampExtended), stream id 0, payload, and PreviousTagSize = 11 + payload size.
    /// Throws `KernelError.invalid` if the payload does not fit a 24-bit size.
    public static func tag(type: UInt8, timestamp: UInt32, payload: ArraySlice<UInt8>) throws -> [UInt8] {
        guard payload.count <= maxPayloadSize else {
            throw KernelError.invalid("FLV tag payload of \(payload.count) bytes exceeds 24 bits")
        }
        var w = ByteWriter(capacity: 15 + payload.count)
        writeHeader(type: type, timestamp: timestamp, payloadSize: payload.count, into: &w)
        w.append(payload)
        writePreviousTagSize(payloadSize: payload.count, into: &w)
        return w.bytes
    }

    /// The 11 bytes before the payload: type, 24-bit size, timestamp (low 24 bits, then the
    /// high 8 bits), stream id 0. For writers that frame a payload they do not copy (the caller
    /// checked `payloadSize <= maxPayloadSize`; larger sizes are truncated to 24 bits).
    public static func writeHeader(type: UInt8, timestamp: UInt32, payloadSize: Int, into w: inout ByteWriter) {
        w.u8(type)
        w.u24(UInt32(truncatingIfNeeded: payloadSize) & 0xFF_FFFF)
        w.u24(timestamp & 0xFF_FFFF)
        w.u8(UInt8(truncatingIfNeeded: timestamp >> 24))
        w.u24(0)
    }

    /// The 4 bytes after the payload: PreviousTagSize = 11 + payload size.
    public static func writePreviousTagSize(payloadSize: Int, into w: inout ByteWriter) {
        w.u32(UInt32(truncatingIfNeeded: 11 + payloadSize))
    }

    /// Bytes of a whole tag with a payload of `payloadSize` bytes.
    public static func tagSize(payloadSize: Int) -> Int { 11 + payloadSize + 4 }

    /// One tag from a whole array.
    public static func tag(type: UInt8, timestamp: UInt32, payload: [UInt8]) throws -> [UInt8] {
        try tag(type: type, timestamp: timestamp, payload: payload[...])
    }
}
