@testable import Kernel

/// Builds transport streams for demuxer tests: our muxer's output, and hand-made packets for
/// what it never writes (other stream types, long sections, errors).
enum TSTestStream {
    /// A PAT naming `pmtPID` for program 1, as one packet.
    static func pat(pmtPID: UInt16 = TSMuxer.pmtPID, counter: UInt8 = 0) -> [UInt8] {
        var body = ByteWriter()
        body.u16(1)
        body.u16(0xE000 | pmtPID)
        return sectionPackets(TSMuxer.section(tableID: 0, tableIDExtension: 1, body: body.bytes), pid: 0, counter: counter)
    }

    /// A PMT with `streams` (each with `descriptorBytes` of dummy descriptors), in as many
    /// packets as it takes.
    static func pmt(_ streams: [(type: UInt8, pid: UInt16)], descriptorBytes: Int = 0, pid: UInt16 = TSMuxer.pmtPID,
                    counter: UInt8 = 0) -> [UInt8] {
        var body = ByteWriter()
        body.u16(0xE000 | (streams.first?.pid ?? 0x1FFF))
        body.u16(0xF000)
        for s in streams {
            body.u8(s.type)
            body.u16(0xE000 | s.pid)
            body.u16(0xF000 | UInt16(descriptorBytes))
            // A private descriptor (tag 0xFF) padding the entry.
            if descriptorBytes >= 2 { body.append([0xFF, UInt8(descriptorBytes - 2)] + Array(repeating: 0xAB, count: descriptorBytes - 2)) }
        }
        return sectionPackets(TSMuxer.section(tableID: 2, tableIDExtension: 1, body: body.bytes), pid: pid, counter: counter)
    }

    /// A section in packets: pointer_field 0 in the first, 0xFF stuffing after the end.
    static func sectionPackets(_ section: [UInt8], pid: UInt16, counter: UInt8) -> [UInt8] {
        var data = [0] + section
        data += Array(repeating: 0xFF, count: (184 - data.count % 184) % 184)
        var out: [UInt8] = []
        var cc = counter
        for (i, start) in stride(from: 0, to: data.count, by: 184).enumerated() {
            out += [0x47, (i == 0 ? 0x40 : 0) | UInt8(pid >> 8), UInt8(pid & 0xFF), 0x10 | cc]
            out += data[start..<(start + 184)]
            cc = (cc + 1) & 0x0F
        }
        return out
    }

    /// The 188-byte packets of `ts`.
    static func packets(_ ts: [UInt8]) -> [[UInt8]] {
        stride(from: 0, to: ts.count, by: 188).map { Array(ts[$0..<min(ts.count, $0 + 188)]) }
    }

    /// An H.264 access unit in Annex B: an AUD, the parameter sets if given, then `slices`.
    static func annexB(sps: [UInt8]? = nil, pps: [UInt8]? = nil, slices: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [0, 0, 0, 1, 0x09, 0xF0]
        for nal in [sps, pps].compactMap({ $0 }) + slices { out += [0, 0, 0, 1] + nal }
        return out
    }

    /// A slice NAL unit of `type` (5 IDR, 1 non-IDR) with `size` bytes that hold no start code.
    static func slice(type: UInt8, size: Int, seed: UInt8) -> [UInt8] {
        [0x60 | type] + (0..<(size - 1)).map { UInt8(truncatingIfNeeded: ($0 * 7 + Int(seed)) % 200 + 20) }
    }
}
