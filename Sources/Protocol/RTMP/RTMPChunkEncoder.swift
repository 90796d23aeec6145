import Kernel

/// Splits messages into chunks: a type-0 header, then type-3 continuation headers every
/// `chunkSize` bytes. Every message gets a full header, so the bytes of one message do not depend
/// on what was sent before: a media message is encoded once and shared by all players.
public enum RTMPChunkEncoder {
    public static func encode(_ m: RTMPMessage, chunkSize: Int) -> [UInt8] {
        var w = ByteWriter(capacity: m.payload.count + 18 + m.payload.count / max(chunkSize, 1) * 5)
        encode(m, chunkSize: chunkSize, into: &w)
        return w.bytes
    }

    public static func encode(_ m: RTMPMessage, chunkSize: Int, into w: inout ByteWriter) {
        let extended = m.timestamp >= 0xFFFFFF
        basicHeader(fmt: 0, csid: m.chunkStreamID, into: &w)
        w.u24(extended ? 0xFFFFFF : m.timestamp)
        w.u24(UInt32(m.payload.count))
        w.u8(m.type)
        w.u32le(m.streamID)
        if extended { w.u32(m.timestamp) }
        let size = max(chunkSize, 1)
        var off = 0
        let n = m.payload.count
        while true {
            let take = min(size, n - off)
            w.append(m.payload[off..<(off + take)])
            off += take
            if off >= n { break }
            basicHeader(fmt: 3, csid: m.chunkStreamID, into: &w)
            if extended { w.u32(m.timestamp) }
        }
    }

    static func basicHeader(fmt: UInt8, csid: UInt32, into w: inout ByteWriter) {
        if csid < 64 {
            w.u8(fmt << 6 | UInt8(csid))
        } else if csid < 320 {
            w.u8(fmt << 6)
            w.u8(UInt8(csid - 64))
        } else {
            w.u8(fmt << 6 | 1)
            let v = csid - 64
            w.u8(UInt8(v & 0xFF))
            w.u8(UInt8((v >> 8) & 0xFF))
        }
    }
}
