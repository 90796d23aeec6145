/// PES headers and their packetization into 188-byte TS packets.
extension TSMuxer {
    /// PES packet header (2.4.3.6): start code, stream_id, PES_packet_length, flags, then PTS
    /// alone or PTS and DTS when they differ. `payloadLength` nil writes length 0, which the
    /// standard allows only for video in a transport stream (frames may exceed 64 KiB).
    static func pesHeader(streamID: UInt8, pts: UInt64, dts: UInt64, payloadLength: Int?) -> [UInt8] {
        let withDTS = pts != dts
        let headerDataLength = withDTS ? 10 : 5
        var w = ByteWriter(capacity: 9 + headerDataLength + 7)  // room for an ADTS header after it
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

    /// Splits one PES, `head` (its header, and any prefix of its payload) then `body`, into TS
    /// packets appended to `out`; the two parts are never joined. The first packet has
    /// payload_unit_start_indicator and, if asked, an adaptation field with
    /// random_access_indicator and/or the PCR. The last packet is padded to 188 bytes by growing
    /// its adaptation field with 0xFF stuffing, the only padding allowed inside a PES (2.4.3.5).
    static func packetize(head: [UInt8], body: ArraySlice<UInt8>, pid: UInt16, counter: inout UInt8, randomAccess: Bool,
                          pcr: UInt64?, into out: inout [UInt8]) {
        let payloadPerPacket = packetSize - 4
        let total = head.count + body.count
        out.reserveCapacity(out.count + (total / (payloadPerPacket - 8) + 1) * packetSize)
        var offset = 0
        var headUsed = 0
        var bodyUsed = body.startIndex
        var first = true
        while offset < total {
            // The adaptation field's content before stuffing: flags, then the PCR.
            let flagged = first && (randomAccess || pcr != nil)
            let fieldBase = flagged ? (pcr != nil ? 7 : 1) : 0
            let capacity = payloadPerPacket - (flagged ? 1 + fieldBase : 0)
            let remaining = total - offset
            let padding = remaining < capacity ? capacity - remaining : 0
            let take = min(remaining, capacity)
            out.append(0x47)
            out.append((first ? 0x40 : 0) | UInt8(pid >> 8))
            out.append(UInt8(truncatingIfNeeded: pid))
            out.append((flagged || padding > 0 ? 0x30 : 0x10) | counter)
            counter = (counter + 1) & 0x0F
            if flagged {
                out.append(UInt8(fieldBase + padding))
                out.append((randomAccess ? 0x40 : 0) | (pcr != nil ? 0x10 : 0))
                if let pcr { appendPCR(pcr, to: &out) }
                out.append(contentsOf: repeatElement(0xFF, count: padding))
            } else if padding == 1 {
                out.append(0)  // a lone adaptation_field_length of 0 fills one byte
            } else if padding > 1 {
                out.append(UInt8(padding - 1))
                out.append(0)  // no flags
                out.append(contentsOf: repeatElement(0xFF, count: padding - 2))
            }
            var need = take
            if headUsed < head.count {
                let n = min(need, head.count - headUsed)
                out.append(contentsOf: head[headUsed..<(headUsed + n)])
                headUsed += n
                need -= n
            }
            if need > 0 {
                out.append(contentsOf: body[bodyUsed..<(bodyUsed + need)])
                bodyUsed += need
            }
            offset += take
            first = false
        }
    }

    /// The 6-byte PCR field: 33-bit base, 6 reserved bits, 9-bit extension 0.
    private static func appendPCR(_ base: UInt64, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: base >> 25))
        out.append(UInt8(truncatingIfNeeded: base >> 17))
        out.append(UInt8(truncatingIfNeeded: base >> 9))
        out.append(UInt8(truncatingIfNeeded: base >> 1))
        out.append(UInt8(truncatingIfNeeded: base & 1) << 7 | 0x7E)
        out.append(0x00)
    }
}
