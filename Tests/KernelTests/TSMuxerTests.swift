import XCTest
@testable import Kernel

final class TSMuxerTests: XCTestCase {
    func testCRC32MPEG2CheckValue() {
        XCTAssertEqual(CRC32MPEG2.checksum(Array("123456789".utf8)), 0x0376_E6E7)
    }

    func testPATAndPMT() throws {
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        let header = muxer.header()
        XCTAssertEqual(header.count, 2 * 188)
        let packets = TSTestDemuxer.packets(header)
        XCTAssertEqual(packets.map(\.pid), [0, 0x1001])
        XCTAssertTrue(packets.allSatisfy { $0.payloadUnitStart && $0.adaptation == nil })

        let pat = TSTestDemuxer.section(packets[0])
        XCTAssertEqual(pat.count, 3 + 13)
        XCTAssertEqual(pat[0], 0x00)
        XCTAssertEqual(CRC32MPEG2.checksum(pat), 0, "a section including its CRC checks to 0")
        XCTAssertEqual(Array(pat[8..<12]), [0x00, 0x01, 0xF0, 0x01], "program 1 → PMT PID 0x1001")
        XCTAssertTrue(packets[0].payload[(1 + pat.count)...].allSatisfy { $0 == 0xFF })

        let pmt = TSTestDemuxer.section(packets[1])
        XCTAssertEqual(pmt[0], 0x02)
        XCTAssertEqual(CRC32MPEG2.checksum(pmt), 0)
        XCTAssertEqual(UInt16(pmt[8] & 0x1F) << 8 | UInt16(pmt[9]), 0x100, "PCR on the video PID")
        XCTAssertEqual(Array(pmt[12..<22]), [0x1B, 0xE1, 0x00, 0xF0, 0x00, 0x0F, 0xE1, 0x01, 0xF0, 0x00])
    }

    func testAudioOnlyPMTCarriesPCROnAudio() {
        var muxer = TSMuxer(hasVideo: false, hasAudio: true)
        let pmt = TSTestDemuxer.section(TSTestDemuxer.packets(muxer.header())[1])
        XCTAssertEqual(UInt16(pmt[8] & 0x1F) << 8 | UInt16(pmt[9]), 0x101)
        XCTAssertEqual(Array(pmt[12..<17]), [0x0F, 0xE1, 0x01, 0xF0, 0x00])
        XCTAssertEqual(pmt.count, 3 + 9 + 5 + 4)
        XCTAssertEqual(CRC32MPEG2.checksum(pmt), 0)

        let ts = muxer.writeAudio(pts: 1000, adts: [0xFF, 0xF1, 0x50, 0x80, 0x01, 0x7F, 0xFC, 0x21])
        let first = TSTestDemuxer.packets(ts)[0]
        XCTAssertEqual(first.pcr, 90000)
        XCTAssertTrue(first.randomAccess)
    }

    func testKeyframePESAndPacketization() throws {
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        let es = (0..<5000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        let ts = muxer.writeVideo(dts: 1000, pts: 1080, keyframe: true, annexB: es)
        let packets = TSTestDemuxer.packets(ts)
        XCTAssertTrue(packets.allSatisfy { $0.pid == 0x100 })
        XCTAssertEqual(packets.map { Int($0.continuityCounter) }, (0..<packets.count).map { $0 % 16 })
        XCTAssertTrue(packets[0].payloadUnitStart)
        XCTAssertFalse(packets.dropFirst().contains { $0.payloadUnitStart })
        XCTAssertTrue(packets[0].randomAccess)
        XCTAssertEqual(packets[0].pcr, 90000, "PCR = DTS")
        XCTAssertTrue(packets.dropFirst().dropLast().allSatisfy { $0.adaptation == nil }, "only first and last adapt")

        let pes = TSTestDemuxer.pes(packets, pid: 0x100)
        XCTAssertEqual(pes.count, 1)
        XCTAssertEqual(pes[0].streamID, 0xE0)
        XCTAssertEqual(pes[0].packetLength, 0, "unbounded video PES")
        XCTAssertEqual(pes[0].pts, 1080 * 90)
        XCTAssertEqual(pes[0].dts, 1000 * 90)
        XCTAssertEqual(pes[0].data, es)
    }

    func testInterFrameHasPCRButNoRandomAccess() {
        var muxer = TSMuxer(hasVideo: true, hasAudio: false)
        let packets = TSTestDemuxer.packets(muxer.writeVideo(dts: 40, pts: 40, keyframe: false, annexB: [0, 0, 0, 1, 0x41]))
        XCTAssertEqual(packets.count, 1)
        XCTAssertFalse(packets[0].randomAccess)
        XCTAssertEqual(packets[0].pcr, 3600)
        let pes = TSTestDemuxer.pes(packets, pid: 0x100)
        XCTAssertEqual(pes[0].pts, 3600)
        XCTAssertNil(pes[0].dts, "DTS only when it differs from PTS")
        XCTAssertEqual(pes[0].data, [0, 0, 0, 1, 0x41])
    }

    /// Every ES size around the packet boundaries, including the 1-byte stuffing case.
    func testStuffingForEverySize() {
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        for size in 0...800 {
            let es = [UInt8](repeating: UInt8(truncatingIfNeeded: size), count: size)
            for keyframe in [false, true] {
                let video = muxer.writeVideo(dts: Int64(size), pts: Int64(size) + 40, keyframe: keyframe, annexB: es)
                XCTAssertEqual(video.count % 188, 0)
                XCTAssertEqual(TSTestDemuxer.pes(TSTestDemuxer.packets(video), pid: 0x100).first?.data, es, "video size \(size)")
            }
            let audio = muxer.writeAudio(pts: Int64(size), adts: es)
            let pes = TSTestDemuxer.pes(TSTestDemuxer.packets(audio), pid: 0x101)
            XCTAssertEqual(pes.first?.data, es, "audio size \(size)")
            XCTAssertEqual(pes.first?.packetLength, 8 + size)
        }
    }

    /// A frame given as a prefix (the ADTS header) and a slice of the message it came in is
    /// packetized into the same bytes as the joined frame, whatever the sizes, and appended
    /// after what the buffer held.
    func testPrefixAndSliceGiveTheSameBytesAsTheJoinedFrame() {
        for audioOnly in [false, true] {
            var joined = TSMuxer(hasVideo: !audioOnly, hasAudio: true)
            var parts = TSMuxer(hasVideo: !audioOnly, hasAudio: true)
            for size in 0...400 {
                let message = [UInt8](repeating: 0xAB, count: 3) + (0..<size).map { UInt8(truncatingIfNeeded: $0) }
                let prefix: [UInt8] = [0xFF, 0xF1, 0x50, 0x80, 0x01, 0x7F, 0xFC]
                let expected = joined.writeAudio(pts: Int64(size), frames: prefix + message[3...])
                var out: [UInt8] = [1, 2, 3]
                parts.writeAudio(pts: Int64(size), prefix: prefix, frames: message[3...], into: &out)
                XCTAssertEqual(out, [1, 2, 3] + expected, "size \(size), audio only \(audioOnly)")
            }
        }
    }

    func testAudioPES() {
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        let adts: [UInt8] = [0xFF, 0xF1, 0x50, 0x80, 0x01, 0x7F, 0xFC, 0x21]
        let packets = TSTestDemuxer.packets(muxer.writeAudio(pts: 23, adts: adts))
        XCTAssertEqual(packets.count, 1)
        XCTAssertEqual(packets[0].pid, 0x101)
        XCTAssertNil(packets[0].pcr, "PCR is on the video PID")
        let pes = TSTestDemuxer.pes(packets, pid: 0x101)
        XCTAssertEqual(pes[0].streamID, 0xC0)
        XCTAssertEqual(pes[0].pts, 23 * 90)
        XCTAssertNil(pes[0].dts)
        XCTAssertEqual(pes[0].packetLength, 3 + 5 + adts.count)
    }

    func testContinuityCountersPerPIDAcrossCallsAndSegments() {
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        var stream: [UInt8] = []
        for i in 0..<40 {
            if i % 10 == 0 { stream += muxer.header() }
            stream += muxer.writeVideo(dts: Int64(i * 40), pts: Int64(i * 40 + 80), keyframe: i % 10 == 0,
                                       annexB: [UInt8](repeating: 1, count: 100 + i * 37))
            stream += muxer.writeAudio(pts: Int64(i * 23), adts: [UInt8](repeating: 2, count: 200))
        }
        var last: [UInt16: UInt8] = [:]
        var counts: [UInt16: Int] = [:]
        for p in TSTestDemuxer.packets(stream) {
            if let previous = last[p.pid] { XCTAssertEqual(p.continuityCounter, (previous + 1) & 0x0F, "PID \(p.pid)") }
            last[p.pid] = p.continuityCounter
            counts[p.pid, default: 0] += 1
        }
        XCTAssertEqual(counts[0], 4)
        XCTAssertEqual(counts[0x1001], 4)
        XCTAssertGreaterThan(counts[0x100] ?? 0, 16, "video counter wrapped")
        XCTAssertGreaterThan(counts[0x101] ?? 0, 16, "audio counter wrapped")
        XCTAssertEqual(last[0], 3)
    }

    func testTimestampsWrapAndClamp() {
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        let wrapMs: Int64 = (1 << 33) / 90 + 1  // just past 2^33 ticks (about 26.5 hours)
        var pes = TSTestDemuxer.pes(TSTestDemuxer.packets(muxer.writeVideo(dts: wrapMs, pts: wrapMs, keyframe: true, annexB: [1])),
                                    pid: 0x100)
        XCTAssertEqual(pes[0].pts, UInt64(wrapMs * 90) & 0x1_FFFF_FFFF)
        XCTAssertLessThan(pes[0].pts ?? .max, 200)

        pes = TSTestDemuxer.pes(TSTestDemuxer.packets(muxer.writeVideo(dts: -40, pts: -80, keyframe: false, annexB: [1])), pid: 0x100)
        XCTAssertEqual(pes[0].pts, 0)
        XCTAssertNil(pes[0].dts)

        pes = TSTestDemuxer.pes(TSTestDemuxer.packets(muxer.writeVideo(dts: 1000, pts: 960, keyframe: false, annexB: [1])), pid: 0x100)
        XCTAssertEqual(pes[0].pts, 90000, "PTS before DTS is raised to the DTS")

        let audio = TSTestDemuxer.pes(TSTestDemuxer.packets(muxer.writeAudio(pts: -5, adts: [1])), pid: 0x101)
        XCTAssertEqual(audio[0].pts, 0)

        let max = TSTestDemuxer.pes(TSTestDemuxer.packets(muxer.writeAudio(pts: .max, adts: [1])), pid: 0x101)
        XCTAssertNotNil(max[0].pts)
    }

    func testHugeFrameOverPESLengthLimit() {
        var muxer = TSMuxer(hasVideo: false, hasAudio: true)
        let big = [UInt8](repeating: 7, count: 70000)
        let pes = TSTestDemuxer.pes(TSTestDemuxer.packets(muxer.writeAudio(pts: 0, adts: big)), pid: 0x101)
        XCTAssertEqual(pes[0].packetLength, 0, "too long for the 16-bit field")
        XCTAssertEqual(pes[0].data, big)
    }
}
