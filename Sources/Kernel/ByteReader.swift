/// Errors raised by pure decoders when input bytes are short or malformed.
public enum KernelError: Error, Equatable, CustomStringConvertible {
    /// The input ended before `what` could be read.
    case truncated(String)
    /// The input is malformed: the string says what and why.
    case invalid(String)

    public var description: String {
        switch self {
        case .truncated(let what): return "truncated \(what)"
        case .invalid(let what): return "invalid \(what)"
        }
    }
}

/// Reads big-endian (network order) values from bytes. Every read is bounds-checked and throws
/// `KernelError.truncated` instead of trapping: it is safe on hostile wire data.
public struct ByteReader {
    public let bytes: [UInt8]
    public private(set) var offset: Int
    public let end: Int

    public init(_ bytes: [UInt8], offset: Int = 0, end: Int? = nil) {
        self.bytes = bytes
        self.offset = offset
        self.end = min(end ?? bytes.count, bytes.count)
    }

    public var remaining: Int { end - offset }
    public var isAtEnd: Bool { offset >= end }

    @inline(__always)
    private func need(_ n: Int, _ what: @autoclosure () -> String) throws {
        if n < 0 || remaining < n { throw KernelError.truncated(what()) }
    }

    public mutating func u8() throws -> UInt8 {
        try need(1, "u8")
        defer { offset += 1 }
        return bytes[offset]
    }

    public func peekU8() throws -> UInt8 {
        try need(1, "u8")
        return bytes[offset]
    }

    public mutating func u16() throws -> UInt16 {
        try need(2, "u16")
        defer { offset += 2 }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    public mutating func u24() throws -> UInt32 {
        try need(3, "u24")
        defer { offset += 3 }
        return UInt32(bytes[offset]) << 16 | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2])
    }

    public mutating func u32() throws -> UInt32 {
        try need(4, "u32")
        defer { offset += 4 }
        return UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16
            | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }

    /// Little-endian u32 (RTMP message stream id in chunk headers).
    public mutating func u32le() throws -> UInt32 {
        try need(4, "u32le")
        defer { offset += 4 }
        return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
            | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }

    public mutating func u64() throws -> UInt64 {
        let hi = UInt64(try u32())
        let lo = UInt64(try u32())
        return hi << 32 | lo
    }

    public mutating func f64() throws -> Double {
        Double(bitPattern: try u64())
    }

    public mutating func read(_ n: Int) throws -> ArraySlice<UInt8> {
        try need(n, "\(n) bytes")
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }

    public mutating func skip(_ n: Int) throws {
        try need(n, "\(n) bytes")
        offset += n
    }
}
