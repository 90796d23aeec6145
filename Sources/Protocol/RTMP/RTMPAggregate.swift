import Kernel

/// An aggregate message (type 22) is FLV tags back to back: an 11-byte header, the payload and
/// a 4-byte previous tag size. Each audio, video or data tag becomes a message whose timestamp
/// keeps its offset from the first tag's, based at the aggregate's own timestamp (as SRS).
enum RTMPAggregate {
    /// Largest number of tags one aggregate may carry (bounds the work per message).
    static let maxParts = 4096

    static func split(_ m: RTMPMessage) throws -> [RTMPMessage] {
        var r = ByteReader(m.payload)
        var out: [RTMPMessage] = []
        var base: UInt32?
        var tags = 0
        while r.remaining >= 11 {
            tags += 1
            guard tags <= maxParts else { throw RTMPError.limit("aggregate with more than \(maxParts) tags") }
            let type = try r.u8() & 0x1F
            let size = Int(try r.u24())
            let ts = try r.u24() | UInt32(try r.u8()) << 24
            _ = try r.u24()
            guard size <= r.remaining else { throw RTMPError.malformed("aggregate tag of \(size) bytes, \(r.remaining) left") }
            let payload = Array(try r.read(size))
            if r.remaining >= 4 { try r.skip(4) }
            let first = base ?? ts
            base = first
            guard type == RTMPMessageType.audio || type == RTMPMessageType.video || type == RTMPMessageType.amf0Data else { continue }
            out.append(RTMPMessage(type: type, streamID: m.streamID, timestamp: m.timestamp &+ (ts &- first),
                                   chunkStreamID: m.chunkStreamID, payload: payload))
        }
        return out
    }
}
