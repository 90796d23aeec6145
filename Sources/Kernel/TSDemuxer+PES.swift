/// PES packets (2.4.3.6): reassembled from the payloads of their PID's packets.
extension TSDemuxer {
    /// A PES being reassembled.
    struct PESAssembly {
        var stream: TSElementaryStream
        var bytes: [UInt8]
        var randomAccess: Bool

        /// The whole PES's size when its header gives PES_packet_length; nil while unknown or
        /// unbounded (length 0, allowed for video).
        var declaredSize: Int? {
            guard bytes.count >= 6 else { return nil }
            let length = Int(bytes[4]) << 8 | Int(bytes[5])
            return length == 0 ? nil : 6 + length
        }
    }

    mutating func handlePESPayload(stream: TSElementaryStream, unitStart: Bool, randomAccess: Bool,
                                   _ payload: ArraySlice<UInt8>) {
        let pid = stream.pid
        var assembly: PESAssembly
        if unitStart {
            finishPES(pid: pid)
            assembly = PESAssembly(stream: stream, bytes: Array(payload), randomAccess: randomAccess)
        } else {
            // Without its start (we joined mid-PES, or it was dropped) a continuation is useless.
            guard let a = assemblies.removeValue(forKey: pid) else { return }
            assembly = a
            assembly.bytes += payload
        }
        guard assembly.bytes.count <= maxPESBytes else {
            counters.droppedPES += 1
            return
        }
        assemblies[pid] = assembly
        if let size = assembly.declaredSize, assembly.bytes.count >= size { finishPES(pid: pid) }
    }

    /// Parses the PES in progress on `pid`, if any, and emits it.
    mutating func finishPES(pid: UInt16) {
        guard let a = assemblies.removeValue(forKey: pid) else { return }
        guard let pes = Self.parsePES(a) else {
            counters.droppedPES += 1
            return
        }
        events.append(.pes(pes))
    }

    /// Stream ids whose PES has no optional header (Table 2-22): padding, private 2, ECM, EMM,
    /// program stream directory, DSMCC, H.222.1 type E.
    private static let streamIDsWithoutHeader: Set<UInt8> = [0xBC, 0xBE, 0xBF, 0xF0, 0xF1, 0xF2, 0xF8, 0xFF]

    /// Start code, stream_id, PES_packet_length, then the optional header with PTS and DTS.
    /// Nil when malformed, or shorter than its declared length.
    static func parsePES(_ a: PESAssembly) -> PES? {
        let b = a.bytes
        guard b.count >= 6, b[0] == 0, b[1] == 0, b[2] == 1 else { return nil }
        let streamID = b[3]
        var end = b.count
        if let size = a.declaredSize {
            guard b.count >= size else { return nil }
            end = size
        }
        var pts: UInt64?
        var dts: UInt64?
        var start = 6
        if !streamIDsWithoutHeader.contains(streamID) {
            guard end >= 9, b[6] & 0xC0 == 0x80 else { return nil }
            let flags = b[7] >> 6
            let headerLength = Int(b[8])
            start = 9 + headerLength
            guard start <= end else { return nil }
            if flags & 0x02 != 0 {
                guard headerLength >= 5 else { return nil }
                pts = timestamp(b, at: 9)
                if flags == 0x03 {
                    guard headerLength >= 10 else { return nil }
                    dts = timestamp(b, at: 14)
                }
            }
        }
        return PES(pid: a.stream.pid, streamType: a.stream.streamType, streamID: streamID, pts: pts, dts: dts,
                   randomAccess: a.randomAccess, payload: Array(b[start..<end]))
    }

    /// A 33-bit timestamp in 5 bytes: 4-bit prefix, bits 32-30, marker, 29-15, marker, 14-0,
    /// marker. Marker bits are not checked: some muxers get them wrong, the value is still good.
    static func timestamp(_ b: [UInt8], at i: Int) -> UInt64 {
        UInt64((b[i] >> 1) & 0x07) << 30 | UInt64(b[i + 1]) << 22 | UInt64(b[i + 2] >> 1) << 15
            | UInt64(b[i + 3]) << 7 | UInt64(b[i + 4] >> 1)
    }
}
