/// Writes bits most-significant first (ADTS headers, AudioSpecificConfig, test fixtures).
public struct BitWriter {
    public private(set) var bytes: [UInt8] = []
    private var used = 0  // bits used in the last byte, 0 when it is full or absent

    public init() {}

    /// Number of bits written so far.
    public var bitCount: Int { bytes.count * 8 - (used == 0 ? 0 : 8 - used) }

    /// Appends the low `n` bits (0...32) of `value`, most significant first.
    public mutating func bits(_ n: Int, _ value: UInt32) {
        guard n > 0 else { return }
        for i in stride(from: min(n, 32) - 1, through: 0, by: -1) {
            bit(value >> UInt32(i) & 1 == 1)
        }
    }

    public mutating func bit(_ on: Bool) {
        if used == 0 { bytes.append(0) }
        if on { bytes[bytes.count - 1] |= 0x80 >> UInt8(used) }
        used = (used + 1) & 7
    }

    /// Unsigned Exp-Golomb, ue(v).
    public mutating func ue(_ value: UInt32) { ue64(UInt64(value)) }

    /// Signed Exp-Golomb, se(v).
    public mutating func se(_ value: Int32) {
        let magnitude = UInt64(value.magnitude)
        ue64(value > 0 ? magnitude * 2 - 1 : magnitude * 2)
    }

    private mutating func ue64(_ value: UInt64) {
        let v = value + 1
        let length = 64 - v.leadingZeroBitCount
        bits(length - 1, 0)
        for i in stride(from: length - 1, through: 0, by: -1) { bit(v >> UInt64(i) & 1 == 1) }
    }

    /// Pads with zero bits to a byte boundary.
    public mutating func align() { used = 0 }
}
