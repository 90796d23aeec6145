/// Reads bits most-significant first, as H.264 and AAC headers are laid out, plus the
/// Exp-Golomb codes of H.264 (ue(v), se(v)). Every read is bounds-checked and throws
/// `KernelError.truncated` instead of trapping.
public struct BitReader {
    public let bytes: [UInt8]
    /// Position in bits from the start of `bytes`.
    public private(set) var bitOffset: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        bitOffset = 0
    }

    public init(_ bytes: ArraySlice<UInt8>) {
        self.init(Array(bytes))
    }

    public var bitsRemaining: Int { bytes.count * 8 - bitOffset }

    /// One bit, 0 or 1.
    public mutating func bit() throws -> UInt32 {
        guard bitsRemaining >= 1 else { throw KernelError.truncated("bit") }
        let byte = bytes[bitOffset >> 3]
        let value = UInt32(byte >> (7 - UInt8(bitOffset & 7))) & 1
        bitOffset += 1
        return value
    }

    public mutating func flag() throws -> Bool { try bit() == 1 }

    /// `n` bits (0...32) as an unsigned number, first bit most significant.
    public mutating func bits(_ n: Int) throws -> UInt32 {
        guard n >= 0 && n <= 32 else { throw KernelError.invalid("bit count \(n)") }
        guard bitsRemaining >= n else { throw KernelError.truncated("\(n) bits") }
        var value: UInt32 = 0
        for _ in 0..<n { value = value << 1 | (try bit()) }
        return value
    }

    public mutating func skip(_ n: Int) throws {
        guard n >= 0 && bitsRemaining >= n else { throw KernelError.truncated("\(n) bits") }
        bitOffset += n
    }

    /// Unsigned Exp-Golomb, ue(v). Codes longer than 32 bits are rejected: no H.264 syntax
    /// element needs them, and they would only come from corrupt data.
    public mutating func ue() throws -> Int {
        var leadingZeros = 0
        while try bit() == 0 {
            leadingZeros += 1
            if leadingZeros > 31 { throw KernelError.invalid("Exp-Golomb code longer than 32 bits") }
        }
        return (1 << leadingZeros) - 1 + Int(try bits(leadingZeros))
    }

    /// Signed Exp-Golomb, se(v): 1, -1, 2, -2... for codes 1, 2, 3, 4...
    public mutating func se() throws -> Int {
        let k = try ue()
        return k & 1 == 1 ? (k + 1) / 2 : -(k / 2)
    }
}
