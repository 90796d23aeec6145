/// PES headers and their packetization into 188-byte TS packets.
extension TSMuxer {
    /// PES packet header (2.4.3.6): start code, stream_id, PES_packet_length, flags, then PTS
    /// alone or PTS and DTS when they differ. `payloadLength` nil writes length 0, which the
    /// standard allows only for video in a transport stream (frames may exceed 64 KiB).
    static func pesHeader(streamID: UInt8, pts: UInt64, dts: UInt64, payloadLength: Int?) -> [UInt8] {
        let withDTS = pts != dts
        let headerDataLength = withDTS ? 10 : 5
        var w = ByteWriter(capacity: 9 + headerDataLength)
        w.u24(0x00_0001)
        w.u8(streamID)
        let length = payloadLength.map { 3 + headerDataLength + $0 } ?? 0
        w.u16(length <= 0xFFFF ? UInt16(length) : 0)
        w.u8(0x80)  // '10', not scrambled, no priority, no alignment, no copyright, copy
        w.u8(withDTS ? 0xC0 : 0x80)  // PTS_DTS_flags
        w.u8(UInt8(headerDataLength))
        appendTimestamp(&w, prefix: withDTS ? 0x3 : 0x2, pts)
        if withDTS { appendTimestamp(&w, prefix: 0x1, dts) }
        return w.bytes
    }

    /// A 33-bit timestamp in 5 bytes: 4-bit prefix, bits 32-30, marker, 29-15, marker, 14-0, marker.
    private static func appendTimestamp(_ w: inout ByteWriter, prefix: UInt8, _ ts: UInt64) {
        w.u8(prefix << 4 | UInt8(truncatingIfNeeded: (ts >> 30) & 0x07) << 1 | 1)
        w.u16(UInt16(truncatingIfNeeded: (ts >> 15) & 0x7FFF) << 1 | 1)
        w.u16(UInt16(truncatingIfNeeded: ts & 0x7FFF) << 1 | 1)
    }

    /// The 6-byte PCR field: 33-bit base, 6 reserved bits, 9-bit extension 0.
    private static func pcrField(_ base: UInt64) -> [UInt8] {
        [UInt8(truncatingIfNeeded: base >> 25), UInt8(truncatingIfNeeded: base >> 17),
         UInt8(truncatingIfNeeded: base >> 9), UInt8(truncatingIfNeeded: base >> 1),
         UInt8(truncatingIfNeeded: base & 1) << 7 | 0x7E, 0x00]
    }

    /// Splits one PES into TS packets. The first packet has payload_unit_start_indicator and,
    /// if asked, an adaptation field with random_access_indicator and/or the PCR. The last
    /// packet is padded to 188 bytes by growing its adaptation field with 0xFF stuffing, the
    /// only padding allowed inside a PES (2.4.3.5).
    static func packetize(_ pes: [UInt8], pid: UInt16, counter: inout UInt8, randomAccess: Bool, pcr: UInt64?) -> [UInt8] {
        let payloadPerPacket = packetSize - 4
        var out: [UInt8] = []
        out.reserveCapacity((pes.count / (payloadPerPacket - 8) + 1) * packetSize)
        var offset = 0
        var first = true
        while offset < pes.count {
            // The adaptation field after its length byte; nil when the packet has none.
            var adaptation: [UInt8]?
            if first && (randomAccess || pcr != nil) {
                var field: [UInt8] = [(randomAccess ? 0x40 : 0) | (pcr != nil ? 0x10 : 0)]
                if let pcr { field += pcrField(pcr) }
                adaptation = field
            }
            let capacity = payloadPerPacket - (adaptation.map { 1 + $0.count } ?? 0)
            let remaining = pes.count - offset
            if remaining < capacity {
                let padding = capacity - remaining
                if var field = adaptation {
                    field += repeatElement(0xFF, count: padding)
                    adaptation = field
                } else if padding == 1 {
                    adaptation = []  // a lone adaptation_field_length of 0 fills one byte
                } else {
                    adaptation = [0x00] + repeatElement(0xFF, count: padding - 2)
                }
            }
            let take = min(remaining, capacity)
            out.append(0x47)
            out.append((first ? 0x40 : 0) | UInt8(pid >> 8))
            out.append(UInt8(truncatingIfNeeded: pid))
            out.append((adaptation == nil ? 0x10 : 0x30) | counter)
            counter = (counter + 1) & 0x0F
            if let adaptation {
                out.append(UInt8(adaptation.count))
                out.append(contentsOf: adaptation)
            }
            out.append(contentsOf: pes[offset..<(offset + take)])
            offset += take
            first = false
        }
        return out
    }
}
