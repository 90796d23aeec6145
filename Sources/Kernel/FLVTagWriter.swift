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
        w.u8(type)
        w.u24(UInt32(payload.count))
        w.u24(timestamp & 0xFF_FFFF)
        w.u8(UInt8(truncatingIfNeeded: timestamp >> 24))
        w.u24(0)
        w.append(payload)
        w.u32(UInt32(11 + payload.count))
        return w.bytes
    }

    /// One tag from a whole array.
    public static func tag(type: UInt8, timestamp: UInt32, payload: [UInt8]) throws -> [UInt8] {
        try tag(type: type, timestamp: timestamp, payload: payload[...])
    }
}
