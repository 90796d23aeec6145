import XCTest
@testable import Kernel

/// One parsed 188-byte TS packet, for assertions.
struct TSTestPacket {
    var pid: UInt16
    var payloadUnitStart: Bool
    var continuityCounter: UInt8
    var hasPayload: Bool
    var adaptation: [UInt8]?  // after the length byte
    var payload: [UInt8]

    var randomAccess: Bool { (adaptation?.first ?? 0) & 0x40 != 0 }

    /// The PCR base (90 kHz), if the adaptation field has one.
    var pcr: UInt64? {
        guard let a = adaptation, a.count >= 7, a[0] & 0x10 != 0 else { return nil }
        return UInt64(a[1]) << 25 | UInt64(a[2]) << 17 | UInt64(a[3]) << 9 | UInt64(a[4]) << 1 | UInt64(a[5] >> 7)
    }
}

/// One reassembled PES.
struct TSTestPES {
    var pid: UInt16
    var streamID: UInt8
    var packetLength: Int
    var pts: UInt64?
    var dts: UInt64?
    var data: [UInt8]
}

/// A strict little demuxer: fails the test on anything malformed.
enum TSTestDemuxer {
    static func packets(_ ts: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> [TSTestPacket] {
        XCTAssertEqual(ts.count % 188, 0, "TS length \(ts.count) is not a multiple of 188", file: file, line: line)
        var out: [TSTestPacket] = []
        for start in stride(from: 0, to: ts.count - 187, by: 188) {
            let p = Array(ts[start..<(start + 188)])
            XCTAssertEqual(p[0], 0x47, "sync byte", file: file, line: line)
            let pid = UInt16(p[1] & 0x1F) << 8 | UInt16(p[2])
            let control = (p[3] >> 4) & 0x03
            XCTAssertNotEqual(control, 0, "reserved adaptation_field_control", file: file, line: line)
            var i = 4
            var adaptation: [UInt8]?
            if control & 0x02 != 0 {
                let length = Int(p[4])
                XCTAssertLessThanOrEqual(length, 183, file: file, line: line)
                adaptation = Array(p[5..<min(188, 5 + length)])
                i = 5 + length
            }
            out.append(TSTestPacket(pid: pid, payloadUnitStart: p[1] & 0x40 != 0, continuityCounter: p[3] & 0x0F,
                                    hasPayload: control & 0x01 != 0, adaptation: adaptation,
                                    payload: control & 0x01 != 0 && i < 188 ? Array(p[i...]) : []))
        }
        return out
    }

    /// The PSI section in a packet with pointer_field 0, cut to its section_length.
    static func section(_ packet: TSTestPacket) -> [UInt8] {
        let p = packet.payload
        guard p.count >= 4, p[0] == 0 else { return [] }
        let length = Int(p[2] & 0x0F) << 8 | Int(p[3])
        return Array(p[1..<min(p.count, 4 + length)])
    }

    static func timestamp(_ b: ArraySlice<UInt8>) -> UInt64 {
        let s = b.startIndex
        return UInt64((b[s] >> 1) & 0x07) << 30 | UInt64(b[s + 1]) << 22 | UInt64(b[s + 2] >> 1) << 15
            | UInt64(b[s + 3]) << 7 | UInt64(b[s + 4] >> 1)
    }

    /// Reassembles the PES packets of `pid`.
    static func pes(_ packets: [TSTestPacket], pid: UInt16, file: StaticString = #filePath, line: UInt = #line) -> [TSTestPES] {
        var buffers: [[UInt8]] = []
        for p in packets where p.pid == pid {
            if p.payloadUnitStart { buffers.append([]) }
            if !buffers.isEmpty { buffers[buffers.count - 1] += p.payload }
        }
        return buffers.compactMap { b in
            guard b.count >= 9, b[0] == 0, b[1] == 0, b[2] == 1 else {
                XCTFail("bad PES start", file: file, line: line)
                return nil
            }
            let flags = b[7] >> 6
            let headerLength = Int(b[8])
            let pts: UInt64? = flags & 0x2 != 0 ? timestamp(b[9..<14]) : nil
            let dts: UInt64? = flags == 0x3 ? timestamp(b[14..<19]) : nil
            return TSTestPES(pid: pid, streamID: b[3], packetLength: Int(b[4]) << 8 | Int(b[5]), pts: pts, dts: dts,
                             data: Array(b[(9 + headerLength)...]))
        }
    }
}
