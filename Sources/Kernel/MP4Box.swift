/// Writing ISO BMFF (ISO/IEC 14496-12) boxes: a 32-bit size, a four-character type, the body.
/// The size is written after the body, so boxes nest as plain closures.
extension ByteWriter {
    /// A box of `type` holding what `body` appends.
    mutating func box(_ type: String, _ body: (inout ByteWriter) -> Void) {
        let start = count
        u32(0)
        fourCC(type)
        body(&self)
        set32(UInt32(truncatingIfNeeded: count - start), at: start)
    }

    /// A full box: version, 24-bit flags, then `body`.
    mutating func fullBox(_ type: String, version: UInt8 = 0, flags: UInt32 = 0, _ body: (inout ByteWriter) -> Void) {
        box(type) { w in
            w.u8(version)
            w.u24(flags)
            body(&w)
        }
    }

    /// Four ASCII characters ('moov', 'avc1', 'url '), padded with spaces or cut to four.
    mutating func fourCC(_ code: String) {
        let ascii = Array(code.utf8.prefix(4))
        append(ascii)
        append(repeatElement(UInt8(0x20), count: 4 - ascii.count))
    }

    /// The unity transformation matrix of mvhd and tkhd (16.16 and 2.30 fixed point).
    mutating func unityMatrix() {
        for v: UInt32 in [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000] { u32(v) }
    }
}
