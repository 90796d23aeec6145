/// Demuxes an MPEG-2 transport stream (ISO/IEC 13818-1) into whole PES packets of the
/// elementary streams its first program announces: what SRT publishers and UDP encoders send.
///
/// Built for hostile and lossy input: bytes may come in any slicing; sync is found (and found
/// again) on 0x47 bytes 188 apart; packets with the transport error bit, scrambling or a
/// reserved field are dropped; a continuity counter gap drops the PES it cut into (a frame
/// missing a packet would only decode to garbage), a repeated packet is ignored; every buffer is
/// bounded (`maxPESBytes`, 1 KiB sections, under 188 carried bytes). Nothing here traps on
/// input.
///
/// A PES whose header gives its length is emitted as soon as it is complete (audio); one of
/// unbounded length (video, length 0) when the next PES starts on its PID.
public struct TSDemuxer {
    public static let packetSize = 188
    public static let syncByte: UInt8 = 0x47
    /// The largest PES kept by default: an intra frame of a high-rate 4K stream fits.
    public static let defaultMaxPESBytes = 8 << 20

    /// One elementary stream packet, reassembled. Times are 33-bit 90 kHz ticks as sent.
    public struct PES: Equatable, Sendable {
        public var pid: UInt16
        public var streamType: UInt8
        public var streamID: UInt8
        public var pts: UInt64?
        public var dts: UInt64?
        /// The adaptation field of the PES's first packet had random_access_indicator.
        public var randomAccess: Bool
        /// The elementary stream bytes (Annex B, ADTS...), without the PES header.
        public var payload: [UInt8]
    }

    public enum Event: Equatable, Sendable {
        /// The program's streams, when first seen and whenever the PMT changes them.
        case program([TSElementaryStream])
        case pes(PES)
    }

    /// What was dropped or repaired, for logs and stats.
    public struct Counters: Equatable, Sendable {
        public var packets = 0
        /// Bytes skipped to find sync again.
        public var skippedBytes = 0
        /// Packets dropped: transport error bit, scrambled, reserved adaptation control, duplicates.
        public var droppedPackets = 0
        public var continuityErrors = 0
        /// PES dropped: cut by a continuity gap, over `maxPESBytes`, or with a malformed header.
        public var droppedPES = 0
        /// PAT/PMT sections dropped: bad CRC, bad length, malformed.
        public var droppedSections = 0
    }

    /// A PES growing past this is dropped.
    public let maxPESBytes: Int
    public internal(set) var counters = Counters()
    /// The streams of the current PMT (empty until one was read).
    public internal(set) var streams: [TSElementaryStream] = []

    /// A packet carried to the next `feed`: incomplete, or out of sync not yet confirmed (≤ 188 bytes).
    var carry: [UInt8] = []
    var inSync = false
    /// Last continuity counter per PID, for packets with payload.
    var lastCounter: [UInt16: UInt8] = [:]
    var pmtPID: UInt16?
    var sections: [UInt16: SectionBuffer] = [:]
    var assemblies: [UInt16: PESAssembly] = [:]
    var events: [Event] = []

    /// A demuxer keeping PES packets up to `maxPESBytes` (at least 1 KiB).
    public init(maxPESBytes: Int = TSDemuxer.defaultMaxPESBytes) {
        self.maxPESBytes = max(1024, maxPESBytes)
    }

    /// Feeds transport stream bytes; returns what became complete.
    public mutating func feed(_ bytes: ArraySlice<UInt8>) -> [Event] {
        events.removeAll(keepingCapacity: true)
        var data = bytes
        if !carry.isEmpty {
            // Complete the carried packet (it starts with a sync byte); out of sync, the byte
            // after it must be a sync byte too.
            let need = Self.packetSize - carry.count
            if data.count < need || (!inSync && data.count == need) {
                carry += data
                return events
            }
            carry += data.prefix(need)
            data = data.dropFirst(need)
            let packet = carry
            carry.removeAll(keepingCapacity: true)
            if inSync || data.first == Self.syncByte {
                inSync = true
                handlePacket(packet[...])
            } else {
                // A false sync byte: look again from the byte after it (a rare path, so a copy).
                counters.skippedBytes += 1
                scan((Array(packet.dropFirst()) + data)[...])
                return events
            }
        }
        scan(data)
        return events
    }

    /// Feeds transport stream bytes held in a whole array.
    public mutating func feed(_ bytes: [UInt8]) -> [Event] {
        feed(bytes[...])
    }

    /// Emits the PES packets still waiting for their end (of unbounded length): call when the
    /// stream ends, so its last video frame is not lost.
    public mutating func flush() -> [Event] {
        events.removeAll(keepingCapacity: true)
        for pid in assemblies.keys.sorted() { finishPES(pid: pid) }
        return events
    }

    /// Walks whole packets, finding sync where it is lost: out of sync, a 0x47 counts as a
    /// packet start only when another one follows 188 bytes later. Keeps a trailing packet that
    /// is partial (or, out of sync, not yet confirmed) for the next feed.
    private mutating func scan(_ bytes: ArraySlice<UInt8>) {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            guard bytes[i] == Self.syncByte else {
                inSync = false
                counters.skippedBytes += 1
                i += 1
                continue
            }
            if end - i < Self.packetSize || (!inSync && end - i == Self.packetSize) {
                carry = Array(bytes[i..<end])
                return
            }
            if !inSync && bytes[i + Self.packetSize] != Self.syncByte {
                counters.skippedBytes += 1
                i += 1
                continue
            }
            inSync = true
            handlePacket(bytes[i..<(i + Self.packetSize)])
            i += Self.packetSize
        }
    }

    /// One 188-byte packet starting with the sync byte (2.4.3.2).
    private mutating func handlePacket(_ p: ArraySlice<UInt8>) {
        counters.packets += 1
        let s = p.startIndex
        let transportError = p[s + 1] & 0x80 != 0
        let unitStart = p[s + 1] & 0x40 != 0
        let pid = UInt16(p[s + 1] & 0x1F) << 8 | UInt16(p[s + 2])
        let scrambling = p[s + 3] >> 6
        let control = (p[s + 3] >> 4) & 0x03
        let counter = p[s + 3] & 0x0F
        if pid == 0x1FFF { return }  // null packets
        guard !transportError, scrambling == 0, control != 0 else {
            counters.droppedPackets += 1
            return
        }
        var offset = s + 4
        var discontinuity = false
        var randomAccess = false
        if control & 0x02 != 0 {
            let length = Int(p[offset])
            // 183 bytes is all an adaptation-only packet has; with a payload, at most 182.
            guard length <= (control == 0x02 ? 183 : 182) else {
                counters.droppedPackets += 1
                return
            }
            if length > 0 {
                discontinuity = p[offset + 1] & 0x80 != 0
                randomAccess = p[offset + 1] & 0x40 != 0
            }
            offset += 1 + length
        }
        guard control & 0x01 != 0 else { return }  // adaptation field only: no counter step
        if let last = lastCounter[pid], !discontinuity {
            if counter == last {
                counters.droppedPackets += 1  // a duplicate (2.4.3.3 allows one)
                return
            }
            if counter != (last &+ 1) & 0x0F {
                counters.continuityErrors += 1
                continuityBroken(pid: pid)
            }
        }
        lastCounter[pid] = counter
        let payload = p[offset..<p.endIndex]
        if pid == 0 || pid == pmtPID {
            handleSectionPayload(pid: pid, unitStart: unitStart, payload)
        } else if let stream = streams.first(where: { $0.pid == pid }) {
            handlePESPayload(stream: stream, unitStart: unitStart, randomAccess: randomAccess, payload)
        }
    }

    /// Drops whatever a continuity gap cut into on `pid`.
    private mutating func continuityBroken(pid: UInt16) {
        if assemblies.removeValue(forKey: pid) != nil { counters.droppedPES += 1 }
        if sections.removeValue(forKey: pid) != nil { counters.droppedSections += 1 }
    }
}
