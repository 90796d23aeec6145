import XCTest
@testable import Kernel

final class TSDemuxerTests: XCTestCase {
    private let sps = AVCDecoderConfigTests.high640SPS
    private let pps = AVCDecoderConfigTests.high640PPS

    /// A stream from our muxer: PAT, PMT, then video PES of several packets and audio PES.
    private func muxedStream(frames: Int = 6) -> (ts: [UInt8], video: [[UInt8]], audio: [[UInt8]]) {
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        var ts = muxer.header()
        var video: [[UInt8]] = []
        var audio: [[UInt8]] = []
        let config = AACAudioConfig(objectType: 2, sampleRate: 44100, channelConfiguration: 2)
        for i in 0..<frames {
            let au = TSTestStream.annexB(sps: i == 0 ? sps : nil, pps: i == 0 ? pps : nil,
                                         slices: [TSTestStream.slice(type: i == 0 ? 5 : 1, size: 900 + 37 * i, seed: UInt8(i))])
            ts += muxer.writeVideo(dts: Int64(40 * i), pts: Int64(40 * i + 80), keyframe: i == 0, annexB: au)
            video.append(au)
            let raw = (0..<(100 + i)).map { UInt8(truncatingIfNeeded: $0 &* 3 &+ i) }
            let adts = config.adtsHeader(payloadLength: raw.count) + raw
            ts += muxer.writeAudio(pts: Int64(40 * i + 5), adts: adts)
            audio.append(adts)
        }
        return (ts, video, audio)
    }

    private func demux(_ ts: [UInt8], chunk: Int, demuxer: inout TSDemuxer) -> [TSDemuxer.Event] {
        var events: [TSDemuxer.Event] = []
        for start in stride(from: 0, to: ts.count, by: chunk) {
            events += demuxer.feed(ts[start..<min(ts.count, start + chunk)])
        }
        return events + demuxer.flush()
    }

    private func pes(_ events: [TSDemuxer.Event]) -> [TSDemuxer.PES] {
        events.compactMap { if case .pes(let p) = $0 { return p } else { return nil } }
    }

    func testDemuxesOurMuxerInAnySlicing() {
        let (ts, video, audio) = muxedStream()
        for chunk in [1, 7, 100, 188, 1316, ts.count] {
            var demuxer = TSDemuxer()
            let events = demux(ts, chunk: chunk, demuxer: &demuxer)
            XCTAssertEqual(events.first, .program([TSElementaryStream(pid: 0x100, streamType: 0x1B),
                                                   TSElementaryStream(pid: 0x101, streamType: 0x0F)]), "chunk \(chunk)")
            let all = pes(events)
            let v = all.filter { $0.pid == 0x100 }
            let a = all.filter { $0.pid == 0x101 }
            assertSame(v.map(\.payload), video, "chunk \(chunk)")
            assertSame(a.map(\.payload), audio, "chunk \(chunk)")
            XCTAssertEqual(v.map(\.dts), (0..<6).map { UInt64(40 * $0 * 90) })
            XCTAssertEqual(v.map(\.pts), (0..<6).map { UInt64((40 * $0 + 80) * 90) })
            XCTAssertEqual(a.map(\.pts), (0..<6).map { UInt64((40 * $0 + 5) * 90) })
            XCTAssertEqual(v.first?.randomAccess, true)
            XCTAssertEqual(v.first?.streamID, 0xE0)
            XCTAssertEqual(demuxer.counters.continuityErrors, 0)
            XCTAssertEqual(demuxer.counters.skippedBytes, 0)
            XCTAssertEqual(demuxer.counters.droppedPES, 0)
        }
    }

    func testPESOfDeclaredLengthIsEmittedWhenComplete() {
        var muxer = TSMuxer(hasVideo: false, hasAudio: true)
        var demuxer = TSDemuxer()
        _ = demuxer.feed(muxer.header())
        let adts = AACAudioConfig(objectType: 2, sampleRate: 48000, channelConfiguration: 1).adtsHeader(payloadLength: 300)
            + Array(repeating: 0x11, count: 300)
        let events = demuxer.feed(muxer.writeAudio(pts: 1000, adts: adts))
        assertSame(pes(events).map(\.payload), [adts], "no need to wait for the next PES")
    }

    func testContinuityGapDropsOnlyThePESItCut() {
        let (ts, video, audio) = muxedStream()
        var packets = TSTestStream.packets(ts)
        // The third video PES's second packet.
        let videoStarts = packets.indices.filter { packets[$0][1] & 0x40 != 0 && packets[$0][2] == 0x00 && packets[$0][1] & 0x1F == 1 }
        packets.remove(at: videoStarts[2] + 1)
        var demuxer = TSDemuxer()
        let all = pes(demux(packets.flatMap { $0 }, chunk: 1316, demuxer: &demuxer))
        var expected = video
        expected.remove(at: 2)
        assertSame(all.filter { $0.pid == 0x100 }.map(\.payload), expected)
        assertSame(all.filter { $0.pid == 0x101 }.map(\.payload), audio)
        XCTAssertEqual(demuxer.counters.continuityErrors, 1)
        XCTAssertEqual(demuxer.counters.droppedPES, 1)
    }

    func testRepeatedPacketIsIgnored() {
        let (ts, video, _) = muxedStream()
        var packets = TSTestStream.packets(ts)
        let i = packets.indices.first { packets[$0][1] & 0x1F == 1 && packets[$0][2] == 0 && packets[$0][1] & 0x40 == 0 }!
        packets.insert(packets[i], at: i + 1)
        var demuxer = TSDemuxer()
        let all = pes(demux(packets.flatMap { $0 }, chunk: 188, demuxer: &demuxer))
        assertSame(all.filter { $0.pid == 0x100 }.map(\.payload), video)
        XCTAssertEqual(demuxer.counters.droppedPackets, 1)
        XCTAssertEqual(demuxer.counters.continuityErrors, 0)
    }

    func testFindsSyncAgainAfterGarbage() {
        let (ts, video, audio) = muxedStream()
        let packets = TSTestStream.packets(ts)
        // Garbage before the stream (with a stray 0x47 not followed by another 188 bytes later)
        // and between two packets.
        let garbage = (0..<150).map { UInt8(($0 * 13) % 0x40) }
        let cut = packets.indices.first { packets[$0][1] & 0x40 != 0 && $0 > 10 }!
        let stream = garbage + [0x47] + garbage + packets[..<cut].flatMap { $0 } + garbage + packets[cut...].flatMap { $0 }
        for chunk in [1, 188, 1316] {
            var demuxer = TSDemuxer()
            let all = pes(demux(stream, chunk: chunk, demuxer: &demuxer))
            assertSame(all.filter { $0.pid == 0x100 }.map(\.payload), video, "chunk \(chunk)")
            assertSame(all.filter { $0.pid == 0x101 }.map(\.payload), audio, "chunk \(chunk)")
            XCTAssertEqual(demuxer.counters.skippedBytes, 3 * garbage.count + 1, "chunk \(chunk)")
        }
    }

    func testErroredAndScrambledPacketsAreDropped() {
        let (ts, video, _) = muxedStream()
        var packets = TSTestStream.packets(ts)
        let starts = packets.indices.filter { packets[$0][1] & 0x40 != 0 && packets[$0][1] & 0x1F == 1 && packets[$0][2] == 0 }
        // A lost packet leaves a continuity gap, which drops the PES it belonged to (when a PES's
        // first packet is lost, the one before it goes too: its end is unknown).
        packets[starts[1] + 1][1] |= 0x80  // transport_error_indicator in PES 1
        packets[starts[3] + 2][3] |= 0x80  // scrambled, in PES 3
        var demuxer = TSDemuxer()
        let all = pes(demux(packets.flatMap { $0 }, chunk: 188, demuxer: &demuxer))
        assertSame(all.filter { $0.pid == 0x100 }.map(\.payload), [video[0], video[2], video[4], video[5]])
        XCTAssertEqual(demuxer.counters.droppedPackets, 2)
        XCTAssertEqual(demuxer.counters.droppedPES, 2)
    }

    func testPESOverTheBoundIsDropped() {
        var muxer = TSMuxer(hasVideo: true, hasAudio: false)
        var ts = muxer.header()
        let big = TSTestStream.annexB(slices: [TSTestStream.slice(type: 5, size: 5000, seed: 1)])
        let small = TSTestStream.annexB(slices: [TSTestStream.slice(type: 1, size: 500, seed: 2)])
        ts += muxer.writeVideo(dts: 0, pts: 0, keyframe: true, annexB: big)
        ts += muxer.writeVideo(dts: 40, pts: 40, keyframe: false, annexB: small)
        var demuxer = TSDemuxer(maxPESBytes: 2048)
        let all = pes(demux(ts, chunk: 188, demuxer: &demuxer))
        assertSame(all.map(\.payload), [small])
        XCTAssertEqual(demuxer.counters.droppedPES, 1)
    }

    func testPMTSpanningPacketsAndOtherStreamTypes() {
        let streams: [(type: UInt8, pid: UInt16)] = (0..<20).map { (UInt8($0 == 0 ? 0x24 : 0x06), UInt16(0x200 + $0)) }
        let pmt = TSTestStream.pmt(streams, descriptorBytes: 8)
        XCTAssertGreaterThan(pmt.count, 188, "the section needs two packets")
        for chunk in [1, 188] {
            var demuxer = TSDemuxer()
            let events = demux(TSTestStream.pat() + pmt, chunk: chunk, demuxer: &demuxer)
            XCTAssertEqual(events, [.program(streams.map { TSElementaryStream(pid: $0.pid, streamType: $0.type) })])
            XCTAssertEqual(demuxer.streams.first?.codecName, "HEVC")
        }
    }

    func testSectionWithBadCRCIsIgnored() {
        var pmt = TSTestStream.pmt([(0x1B, 0x100)])
        pmt[20] ^= 0x01  // inside the section
        var demuxer = TSDemuxer()
        XCTAssertEqual(demuxer.feed(TSTestStream.pat() + pmt), [])
        XCTAssertEqual(demuxer.counters.droppedSections, 1)
        XCTAssertEqual(demuxer.feed(TSTestStream.pmt([(0x1B, 0x100)], counter: 1)),
                       [.program([TSElementaryStream(pid: 0x100, streamType: 0x1B)])])
    }

    func testHostileBytesNeverTrapAndStayBounded() {
        var random = FastRandom(seed: 20)
        let (ts, _, _) = muxedStream(frames: 12)
        for round in 0..<300 {
            var demuxer = TSDemuxer(maxPESBytes: 4096)
            var input: [UInt8]
            switch round % 3 {
            case 0:
                input = random.bytes(5000)
                // Plenty of plausible packet starts.
                for i in stride(from: 0, to: input.count, by: 188) where Bool.random(using: &random) { input[i] = 0x47 }
            case 1:
                input = ts
                for _ in 0..<40 { input[Int.random(in: 0..<input.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
            default:
                input = ts
                for _ in 0..<5 {
                    let at = Int.random(in: 0..<input.count, using: &random)
                    input.removeSubrange(at..<min(input.count, at + Int.random(in: 1...400, using: &random)))
                }
            }
            var offset = 0
            while offset < input.count {
                let n = Int.random(in: 1...1500, using: &random)
                for case .pes(let p) in demuxer.feed(input[offset..<min(input.count, offset + n)]) {
                    XCTAssertLessThanOrEqual(p.payload.count, 4096)
                }
                XCTAssertLessThanOrEqual(demuxer.carry.count, 188)
                offset += n
            }
            _ = demuxer.flush()
        }
    }

    func testTimestampUnwrapperCrossesThe33BitWrap() {
        var u = TSTimestampUnwrapper()
        let period: Int64 = 1 << 33
        XCTAssertEqual(u.unwrap(UInt64(period - 900)), period - 900)
        XCTAssertEqual(u.unwrap(UInt64(period - 1800)), period - 1800, "a little behind stays behind")
        XCTAssertEqual(u.unwrap(900), period + 900, "after the wrap it goes on")
        XCTAssertEqual(u.unwrap(UInt64(period - 100)), period - 100, "a late value from before the wrap")
        XCTAssertEqual(u.unwrap(5000), period + 5000)
        var fresh = TSTimestampUnwrapper()
        XCTAssertEqual(fresh.unwrap(100), 100)
        XCTAssertEqual(fresh.unwrap(UInt64(period - 100)), -100, "before a wrap we joined after")
    }

    /// Compares payload lists without printing kilobytes of bytes when they differ.
    private func assertSame(_ got: [[UInt8]], _ expected: [[UInt8]], _ message: String = "",
                            file: StaticString = #filePath, line: UInt = #line) {
        guard got != expected else { return }
        let firstDiff = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }.map { "first difference at \($0.offset)" } ?? ""
        XCTFail("\(message) got \(got.count) payloads of \(got.map(\.count)) bytes, expected \(expected.count) of "
                + "\(expected.map(\.count)) \(firstDiff)", file: file, line: line)
    }
}
