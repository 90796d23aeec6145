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
///
/// Streaming: a chunk's payload goes from the bytes fed straight into its message, also when the
/// chunk ends in a later read; only a chunk header split across reads (at most 18 bytes) is
/// kept aside. So every byte is copied once, into the message that owns it.
public struct RTMPChunkDecoder {
    /// Largest chunk size a peer may set (SRS accepts up to 65536; the spec allows 2^31-1).
    public static let maxChunkSize = 16 * 1024 * 1024
    /// Largest number of chunk streams with state we keep for one peer.
    public static let maxChunkStreams = 256
    /// Longest chunk header: 3 bytes of basic header, 11 of message header, 4 of extended timestamp.
    static let maxHeaderBytes = 18

    private struct StreamState {
        var csid: UInt32
        var timestamp: UInt32 = 0
        var delta: UInt32 = 0
        var length: Int = 0
        var type: UInt8 = 0
        var streamID: UInt32 = 0
        var extended = false
        var payload: [UInt8] = []
    }

    /// Largest total of bytes held in partial messages across chunk streams.
    public static let maxPartialBytes = 32 * 1024 * 1024

    public private(set) var chunkSize = 128
    private var partialBytes = 0
    /// Chunk streams seen so far, found by a linear search: peers use a handful (ffmpeg, OBS and
    /// SRS 3 to 6), and `maxChunkStreams` bounds it.
    private var streams: [StreamState] = []
    /// Index in `streams` of the last chunk's stream: the next chunk is often on it too.
    private var lastIndex = 0
    /// The chunk whose payload is being read: its stream's index and the bytes still to come.
    private var chunkStream = 0
    private var chunkLeft = 0
    private var inChunk = false
    /// The start of a chunk header that the last bytes fed ended in.
    private var header: [UInt8] = []

    public init() {}

    /// Appends the messages the bytes complete to `out`. Throws on a protocol violation; the
    /// connection should then be closed.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into out: inout [RTMPMessage]) throws {
        var i = 0
        let n = bytes.count
        while true {
            if inChunk {
                let take = min(chunkLeft, n - i)
                if take > 0 {
                    partialBytes += take
                    if partialBytes > Self.maxPartialBytes { throw RTMPError.limit("\(partialBytes) bytes of partial messages") }
                    streams[chunkStream].payload.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + take)]))
                    i += take
                    chunkLeft -= take
                }
                guard chunkLeft == 0 else { return }
                inChunk = false
                if streams[chunkStream].payload.count >= streams[chunkStream].length {
                    try completeMessage(ofStream: chunkStream, into: &out)
                }
                continue
            }
            guard i < n else { return }
            if header.isEmpty {
                if let used = try parseHeader(UnsafeRawBufferPointer(rebasing: bytes[i...])) {
                    i += used
                } else {
                    header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i...]))
                    return
                }
            } else {
                // A header split across reads: complete it from these bytes.
                let had = header.count
                let add = min(Self.maxHeaderBytes - had, n - i)
                header.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[i..<(i + add)]))
                // A copy (one retain): parsing changes `self`, which holds `header`.
                let pending = header
                let parsed = try pending.withUnsafeBytes { try parseHeader($0) }
                guard let used = parsed else {
                    // Still short: every byte fed so far is in `header` (fewer than 18 here).
                    assert(i + add == n)
                    return
                }
                header.removeAll(keepingCapacity: true)
                i += used - had
            }
        }
    }

    /// `feed(_:into:)` returning the completed messages.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws -> [RTMPMessage] {
        var out: [RTMPMessage] = []
        try feed(bytes, into: &out)
        return out
    }

    public mutating func feed(_ bytes: [UInt8]) throws -> [RTMPMessage] {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    /// Hands out the message of `streams[index]`, whose payload is complete; applies the
    /// protocol control messages that change how chunks are read.
    private mutating func completeMessage(ofStream index: Int, into out: inout [RTMPMessage]) throws {
        let s = streams[index]
        let m = RTMPMessage(type: s.type, streamID: s.streamID, timestamp: s.timestamp, chunkStreamID: s.csid, payload: s.payload)
        partialBytes -= s.payload.count
        streams[index].payload = []
        if m.type == RTMPMessageType.setChunkSize {
            var r = ByteReader(m.payload)
            let size = Int(try r.u32() & 0x7FFF_FFFF)
            if size < 1 || size > Self.maxChunkSize { throw RTMPError.limit("chunk size \(size)") }
            chunkSize = size
        } else if m.type == RTMPMessageType.abort {
            var r = ByteReader(m.payload)
            let csid = try r.u32()
            if let k = find(csid) {
                partialBytes -= streams[k].payload.count
                streams[k].payload = []
            }
        }
        out.append(m)
    }

    /// The index in `streams` of chunk stream `csid`, if it was seen.
    private mutating func find(_ csid: UInt32) -> Int? {
        if lastIndex < streams.count && streams[lastIndex].csid == csid { return lastIndex }
        guard let k = streams.firstIndex(where: { $0.csid == csid }) else { return nil }
        lastIndex = k
        return k
    }

    /// Parses the chunk header at the start of `b` if it is all there: commits it to its chunk
    /// stream, starts reading the chunk's payload and returns the header's length; nil when
    /// more bytes are needed (nothing changed then).
    private mutating func parseHeader(_ b: UnsafeRawBufferPointer) throws -> Int? {
        let avail = b.count
        guard avail >= 1 else { return nil }
        let b0 = b[0]
        let fmt = b0 >> 6
        var p = 1
        var csid = UInt32(b0 & 0x3F)
        if csid == 0 {
            guard avail >= 2 else { return nil }
            csid = 64 + UInt32(b[1])
            p = 2
        } else if csid == 1 {
            guard avail >= 3 else { return nil }
            csid = 64 + UInt32(b[1]) + UInt32(b[2]) * 256
            p = 3
        }
        let messageHeader = fmt == 0 ? 11 : fmt == 1 ? 7 : fmt == 2 ? 3 : 0
        guard avail >= p + messageHeader else { return nil }

        let known = find(csid)
        if known == nil {
            if fmt != 0 {
                // A fresh chunk stream must start with a full header (ffmpeg, OBS and SRS all do).
                throw RTMPError.malformed("chunk stream \(csid) starts with fmt \(fmt)")
            }
            if streams.count >= Self.maxChunkStreams { throw RTMPError.limit("too many chunk streams") }
        }
        // The stream's fields only, not its payload: a copy of the array would make the next
        // append copy it whole.
        var have = 0, length = 0, type: UInt8 = 0, streamID: UInt32 = 0, wasExtended = false
        if let k = known {
            have = streams[k].payload.count
            length = streams[k].length
            type = streams[k].type
            streamID = streams[k].streamID
            wasExtended = streams[k].extended
        }
        let firstChunk = have == 0
        var ts: UInt32 = 0
        if fmt <= 2 {
            ts = UInt32(b[p]) << 16 | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2])
            p += 3
        }
        if fmt <= 1 {
            length = Int(b[p]) << 16 | Int(b[p + 1]) << 8 | Int(b[p + 2])
            type = b[p + 3]
            p += 4
            if !firstChunk { throw RTMPError.malformed("new header inside a partial message on csid \(csid)") }
        }
        if fmt == 0 {
            streamID = UInt32(b[p]) | UInt32(b[p + 1]) << 8 | UInt32(b[p + 2]) << 16 | UInt32(b[p + 3]) << 24
            p += 4
        }
        let extended = fmt <= 2 ? ts == 0xFFFFFF : wasExtended
        if extended {
            guard avail - p >= 4 else { return nil }
            let ext = UInt32(b[p]) << 24 | UInt32(b[p + 1]) << 16 | UInt32(b[p + 2]) << 8 | UInt32(b[p + 3])
            p += 4
            if fmt <= 2 { ts = ext }
        }

        // The whole header is here: commit it.
        let index: Int
        if let known {
            index = known
        } else {
            streams.append(StreamState(csid: csid))
            index = streams.count - 1
            lastIndex = index
        }
        if fmt <= 2 || firstChunk {
            switch fmt {
            case 0:
                streams[index].timestamp = ts
                streams[index].delta = 0
            case 1, 2:
                streams[index].delta = ts
                streams[index].timestamp &+= ts
            default:
                // fmt 3 starting a new message repeats the previous delta.
                streams[index].timestamp &+= streams[index].delta
            }
        }
        streams[index].length = length
        streams[index].type = type
        streams[index].streamID = streamID
        streams[index].extended = extended
        if firstChunk {
            // Reserve for normal messages only; a hostile 16 MB length must not allocate up front.
            streams[index].payload.reserveCapacity(min(length, 1 << 20))
        }
        chunkStream = index
        chunkLeft = min(length - have, chunkSize)
        inChunk = true
        return p
    }
}
