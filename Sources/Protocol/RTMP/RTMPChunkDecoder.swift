import Kernel

/// Errors of the RTMP chunk and command layers.
public enum RTMPError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case limit(String)

    public var description: String {
        switch self {
        case .malformed(let s): return "rtmp malformed: \(s)"
        case .limit(let s): return "rtmp limit: \(s)"
        }
    }
}

/// Reassembles RTMP messages from chunks (RTMP spec §5.3): all four header formats, extended
/// timestamps (also on type-3 chunks), interleaved chunk streams, Set Chunk Size and Abort.
/// Bytes in, messages out; no I/O. Bounded: message size, live chunk streams, buffered bytes.
public struct RTMPChunkDecoder {
    /// Largest chunk size a peer may set (SRS accepts up to 65536; the spec allows 2^31-1).
    public static let maxChunkSize = 16 * 1024 * 1024
    /// Largest number of chunk streams with state we keep for one peer.
    public static let maxChunkStreams = 256

    private struct StreamState {
        var timestamp: UInt32 = 0
        var delta: UInt32 = 0
        var length: Int = 0
        var type: UInt8 = 0
        var streamID: UInt32 = 0
        var extended = false
        var hasHeader = false
        var payload: [UInt8] = []
    }

    /// Largest total of bytes held in partial messages across chunk streams.
    public static let maxPartialBytes = 32 * 1024 * 1024

    public private(set) var chunkSize = 128
    private var partialBytes = 0
    private var streams: [UInt32: StreamState] = [:]
    private var buffer: [UInt8] = []
    private var pos = 0

    public init() {}

    /// Appends bytes and returns every message they complete. Throws on a protocol violation;
    /// the connection should then be closed.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws -> [RTMPMessage] {
        if pos > 0 && pos == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            pos = 0
        }
        buffer.append(contentsOf: bytes)
        return try drain()
    }

    public mutating func feed(_ bytes: [UInt8]) throws -> [RTMPMessage] {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    private mutating func drain() throws -> [RTMPMessage] {
        var out: [RTMPMessage] = []
        while let msg = try parseChunk() {
            if let m = msg { try apply(m, into: &out) }
        }
        if pos > 65536 && pos * 2 > buffer.count {
            buffer.removeSubrange(0..<pos)
            pos = 0
        }
        return out
    }

    private mutating func apply(_ m: RTMPMessage, into out: inout [RTMPMessage]) throws {
        if m.type == RTMPMessageType.setChunkSize {
            var r = ByteReader(m.payload)
            let size = Int(try r.u32() & 0x7FFF_FFFF)
            if size < 1 || size > Self.maxChunkSize { throw RTMPError.limit("chunk size \(size)") }
            chunkSize = size
        } else if m.type == RTMPMessageType.abort {
            var r = ByteReader(m.payload)
            let csid = try r.u32()
            if let n = streams[csid]?.payload.count {
                partialBytes -= n
                streams[csid]?.payload = []
            }
        }
        out.append(m)
    }

    /// Parses one chunk if it is complete. Returns nil when more bytes are needed, `.some(nil)` for a
    /// chunk that did not complete a message, `.some(msg)` when a message completed.
    private mutating func parseChunk() throws -> RTMPMessage?? {
        let avail = buffer.count - pos
        guard avail >= 1 else { return nil }
        let b0 = buffer[pos]
        let fmt = b0 >> 6
        var hdr = 1
        var csid = UInt32(b0 & 0x3F)
        if csid == 0 {
            guard avail >= 2 else { return nil }
            csid = 64 + UInt32(buffer[pos + 1])
            hdr = 2
        } else if csid == 1 {
            guard avail >= 3 else { return nil }
            csid = 64 + UInt32(buffer[pos + 1]) + UInt32(buffer[pos + 2]) * 256
            hdr = 3
        }
        let mhLen = [11, 7, 3, 0][Int(fmt)]
        guard avail >= hdr + mhLen else { return nil }

        var st = streams[csid] ?? StreamState()
        if streams[csid] == nil && streams.count >= Self.maxChunkStreams {
            throw RTMPError.limit("too many chunk streams")
        }
        if fmt != 0 && !st.hasHeader {
            // A fresh chunk stream must start with a full header (ffmpeg, OBS and SRS all do).
            throw RTMPError.malformed("chunk stream \(csid) starts with fmt \(fmt)")
        }
        let firstChunk = st.payload.isEmpty
        var p = pos + hdr
        var ts: UInt32 = 0
        if fmt <= 2 {
            ts = UInt32(buffer[p]) << 16 | UInt32(buffer[p + 1]) << 8 | UInt32(buffer[p + 2])
            p += 3
        }
        var length = st.length
        var type = st.type
        var streamID = st.streamID
        if fmt <= 1 {
            length = Int(buffer[p]) << 16 | Int(buffer[p + 1]) << 8 | Int(buffer[p + 2])
            type = buffer[p + 3]
            p += 4
            if !firstChunk { throw RTMPError.malformed("new header inside a partial message on csid \(csid)") }
        }
        if fmt == 0 {
            streamID = UInt32(buffer[p]) | UInt32(buffer[p + 1]) << 8 | UInt32(buffer[p + 2]) << 16 | UInt32(buffer[p + 3]) << 24
            p += 4
        }
        var extended = st.extended
        if fmt <= 2 { extended = ts == 0xFFFFFF }
        if extended {
            guard buffer.count - p >= 4 else { return nil }
            let ext = UInt32(buffer[p]) << 24 | UInt32(buffer[p + 1]) << 16 | UInt32(buffer[p + 2]) << 8 | UInt32(buffer[p + 3])
            p += 4
            if fmt <= 2 { ts = ext }
        }
        let remaining = length - st.payload.count
        let take = min(remaining, chunkSize)
        guard buffer.count - p >= take else { return nil }

        // The whole chunk is here: commit the header.
        if fmt <= 2 || firstChunk {
            switch fmt {
            case 0:
                st.timestamp = ts
                st.delta = 0
            case 1, 2:
                st.delta = ts
                st.timestamp &+= ts
            default:
                // fmt 3 starting a new message repeats the previous delta.
                st.timestamp &+= st.delta
            }
        }
        st.length = length
        st.type = type
        st.streamID = streamID
        st.extended = extended
        st.hasHeader = true
        if firstChunk {
            // Reserve for normal messages only; a hostile 16 MB length must not allocate up front.
            st.payload.reserveCapacity(min(length, 1 << 20))
        }
        partialBytes += take
        if partialBytes > Self.maxPartialBytes { throw RTMPError.limit("\(partialBytes) bytes of partial messages") }
        // Take the state out of the table first, so appending does not copy the partial payload
        // (the dictionary's copy would keep it shared): O(chunk), not O(message), per chunk.
        streams[csid] = nil
        st.payload.append(contentsOf: buffer[p..<(p + take)])
        pos = p + take

        if st.payload.count >= length {
            let msg = RTMPMessage(type: type, streamID: streamID, timestamp: st.timestamp, chunkStreamID: csid, payload: st.payload)
            partialBytes -= st.payload.count
            st.payload = []
            streams[csid] = st
            return .some(msg)
        }
        streams[csid] = st
        return .some(nil)
    }
}
