/// Appends big-endian (network order) values to a growable byte array.
public struct ByteWriter {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public var count: Int { bytes.count }

    public mutating func u8(_ v: UInt8) { bytes.append(v) }

    public mutating func u16(_ v: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func u24(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v))
    }

    public mutating func u32le(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v))
        bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16))
        bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    public mutating func u64(_ v: UInt64) {
        u32(UInt32(truncatingIfNeeded: v >> 32))
        u32(UInt32(truncatingIfNeeded: v))
    }

    public mutating func f64(_ v: Double) { u64(v.bitPattern) }

    public mutating func append<S: Sequence>(_ s: S) where S.Element == UInt8 { bytes.append(contentsOf: s) }

    /// Overwrites a big-endian u32 at `at` (for length fields written after their payload).
    public mutating func set32(_ v: UInt32, at: Int) {
        bytes[at] = UInt8(truncatingIfNeeded: v >> 24)
        bytes[at + 1] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[at + 2] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[at + 3] = UInt8(truncatingIfNeeded: v)
    }

    /// Overwrites a big-endian u24 at `at`.
    public mutating func set24(_ v: UInt32, at: Int) {
        bytes[at] = UInt8(truncatingIfNeeded: v >> 16)
        bytes[at + 1] = UInt8(truncatingIfNeeded: v >> 8)
        bytes[at + 2] = UInt8(truncatingIfNeeded: v)
    }
}
