/// One FLV tag: its type (8 audio, 9 video, 18 script), 32-bit timestamp in milliseconds and payload.
public struct FLVTag: Equatable, Sendable {
    public var type: UInt8
    public var timestamp: UInt32
    public var payload: [UInt8]

    public init(type: UInt8, timestamp: UInt32, payload: [UInt8]) {
        self.type = type
        self.timestamp = timestamp
        self.payload = payload
    }
}

/// Reads the tags of a complete FLV file or buffer (DVR files, test fixtures).
public struct FLVTagReader {
    private var reader: ByteReader
    /// The header's flags: the file announces audio and/or video.
    public let hasAudio: Bool
    public let hasVideo: Bool

    /// Checks the "FLV" signature and skips the header and PreviousTagSize0.
    public init(_ bytes: [UInt8]) throws {
        var r = ByteReader(bytes)
        let signature = try r.read(3)
        guard signature.elementsEqual([0x46, 0x4C, 0x56]) else { throw KernelError.invalid("FLV signature") }
        _ = try r.u8()  // version
        let flags = try r.u8()
        let headerSize = Int(try r.u32())
        guard headerSize >= 9 else { throw KernelError.invalid("FLV header size \(headerSize)") }
        try r.skip(headerSize - 9)
        try r.skip(4)  // PreviousTagSize0
        reader = r
        hasAudio = flags & 0x04 != 0
        hasVideo = flags & 0x01 != 0
    }

    /// The next tag, or nil at the end of the bytes. A tag cut short throws `KernelError.truncated`.
    public mutating func next() throws -> FLVTag? {
        guard !reader.isAtEnd else { return nil }
        let type = try reader.u8() & 0x1F  // the top bits are reserved / the encryption filter flag
        let size = Int(try reader.u24())
        let low = try reader.u24()
        let high = try reader.u8()
        try reader.skip(3)  // stream id, always 0
        let payload = Array(try reader.read(size))
        try reader.skip(4)  // PreviousTagSize
        return FLVTag(type: type, timestamp: UInt32(high) << 24 | low, payload: payload)
    }
}
