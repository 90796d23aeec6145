import XCTest
@testable import Kernel

/// MPEG audio in TSMuxer, and TSRemuxer's shared live TS: tables before keyframes, late
/// joiners, tracks that appear, audio-only streams.
final class TSRemuxerTests: XCTestCase {
    typealias Payload = DVRRecorderTests.Payload
    static let mp3Frame = hexBytes("FF FB 54 C4") + [UInt8](repeating: 0x11, count: 188)  // MPEG-1, 48 kHz, 192 bytes
    static let mp3Payload: [UInt8] = [0x2E] + mp3Frame  // SoundFormat 2, 44 kHz, 16 bits, mono

    private func pmt(_ ts: [UInt8]) -> [UInt8] {
        TSTestDemuxer.section(TSTestDemuxer.packets(ts).first { $0.pid == TSMuxer.pmtPID }!)
    }

    func testMPEGAudioStreamTypesAndPID() throws {
        for (codec, type) in [(TSMuxer.AudioCodec.mpeg1Audio, UInt8(0x03)), (.mpeg2Audio, 0x04)] {
            var muxer = TSMuxer(hasVideo: true, audio: codec)
            let section = pmt(muxer.header())
            XCTAssertEqual(CRC32MPEG2.checksum(section), 0)
            XCTAssertEqual(Array(section[12..<22]), [0x1B, 0xE1, 0x00, 0xF0, 0x00, type, 0xE1, 0x02, 0xF0, 0x00],
                           "H.264 on 0x100, MPEG audio on 0x102 as SRS")
        }
        XCTAssertEqual(TSMuxer.AudioCodec(mp3: try MP3FrameHeader.parse(Self.mp3Frame)), .mpeg1Audio)
        XCTAssertEqual(TSMuxer.AudioCodec(mp3: try MP3FrameHeader.parse(hexBytes("FF F3 48 C4"))), .mpeg2Audio)

        // Audio only: the PCR goes with the MP3 PID; a PES has its length and a PTS alone.
        var muxer = TSMuxer(hasVideo: false, audio: .mpeg1Audio)
        XCTAssertEqual(muxer.pcrPID, 0x102)
        let packets = TSTestDemuxer.packets(muxer.writeAudio(pts: 1000, frames: Self.mp3Frame))
        XCTAssertEqual(packets.first?.pcr, 90000)
        let pes = TSTestDemuxer.pes(packets, pid: 0x102)
        XCTAssertEqual(pes.count, 1)
        XCTAssertEqual(pes[0].streamID, 0xC0)
        XCTAssertEqual(pes[0].pts, 90000)
        XCTAssertNil(pes[0].dts)
        XCTAssertEqual(pes[0].packetLength, 3 + 5 + Self.mp3Frame.count)
        XCTAssertEqual(pes[0].data, Self.mp3Frame)
    }

    func testReconfigureBumpsThePMTVersionAndKeepsCounters() {
        var muxer = TSMuxer(hasVideo: true, audio: nil)
        let before = TSTestDemuxer.packets(muxer.header())
        XCTAssertEqual((pmt(muxer.header())[5] >> 1) & 0x1F, 0)
        muxer.reconfigure(hasVideo: true, audio: nil)
        XCTAssertEqual(muxer.pmtVersion, 0, "no change, no new version")
        muxer.reconfigure(hasVideo: true, audio: .aac)
        let after = TSTestDemuxer.packets(muxer.header())
        let section = TSTestDemuxer.section(after[1])
        XCTAssertEqual((section[5] >> 1) & 0x1F, 1, "version_number 1")
        XCTAssertEqual(section[5] & 1, 1, "current_next_indicator")
        XCTAssertEqual(CRC32MPEG2.checksum(section), 0)
        XCTAssertEqual(after.map(\.continuityCounter), before.map { ($0.continuityCounter + 2) & 0x0F })
    }

    func testKeyframesCarryTheTablesAndJoinersStartThere() throws {
        var remuxer = TSRemuxer()
        XCTAssertNil(remuxer.video(timestamp: 0, payload: Payload.videoHeader))
        XCTAssertNil(remuxer.audio(timestamp: 0, payload: Payload.audioHeader))
        XCTAssertNil(remuxer.video(timestamp: 0, payload: Payload.frame(key: false)), "a TS stream starts at a keyframe")
        XCTAssertNil(remuxer.audio(timestamp: 10, payload: Payload.audio), "so does its audio")
        var outputs: [TSRemuxer.Output] = []
        for i in 0..<50 {
            outputs.append(try XCTUnwrap(remuxer.video(timestamp: UInt32(40 * i), payload: Payload.frame(key: i % 25 == 0))))
            outputs.append(try XCTUnwrap(remuxer.audio(timestamp: UInt32(40 * i + 10), payload: Payload.audio)))
        }
        XCTAssertEqual(outputs.indices.filter { outputs[$0].isRandomAccess }, [0, 50])
        let joined = outputs[50...].flatMap(\.bytes)
        let packets = TSTestDemuxer.packets(joined)
        XCTAssertEqual(packets.prefix(3).map(\.pid), [0, 0x1001, 0x100], "a late joiner gets PAT, PMT, then the keyframe")
        XCTAssertTrue(packets[2].randomAccess)
        XCTAssertEqual(Array(pmt(joined)[12..<22]), [0x1B, 0xE1, 0x00, 0xF0, 0x00, 0x0F, 0xE1, 0x01, 0xF0, 0x00])
        // Counters continue from the join on.
        for pid: UInt16 in [0x100, 0x101] {
            let counters = packets.filter { $0.pid == pid }.map(\.continuityCounter)
            XCTAssertTrue(zip(counters, counters.dropFirst()).allSatisfy { ($0 + 1) & 0x0F == $1 }, "pid \(pid)")
        }
        XCTAssertEqual(TSTestDemuxer.pes(packets, pid: 0x100).count, 25)
        XCTAssertEqual(TSTestDemuxer.pes(packets, pid: 0x101).count, 25)
        // Other codecs are left out.
        XCTAssertNil(remuxer.video(timestamp: 2000, payload: [0x1C, 1, 0, 0, 0, 9]))
        XCTAssertNil(remuxer.audio(timestamp: 2000, payload: [0xB2, 1]))
    }

    func testLateAudioJoinsAtTheNextKeyframeWithANewPMTVersion() throws {
        var remuxer = TSRemuxer()
        _ = remuxer.video(timestamp: 0, payload: Payload.videoHeader)
        let first = try XCTUnwrap(remuxer.video(timestamp: 0, payload: Payload.frame(key: true)))
        XCTAssertEqual(pmt(first.bytes).count, 3 + 9 + 5 + 4, "video alone")
        XCTAssertNil(remuxer.audio(timestamp: 5, payload: Self.mp3Payload), "not in this PMT")
        let second = try XCTUnwrap(remuxer.video(timestamp: 1000, payload: Payload.frame(key: true)))
        let section = pmt(second.bytes)
        XCTAssertEqual((section[5] >> 1) & 0x1F, 1)
        XCTAssertEqual(Array(section[17..<22]), [0x03, 0xE1, 0x02, 0xF0, 0x00])
        XCTAssertNotNil(remuxer.audio(timestamp: 1005, payload: Self.mp3Payload))
    }

    func testMetadataAnnouncesMP3BeforeItsFirstFrame() throws {
        var remuxer = TSRemuxer()
        remuxer.metadata(AMF0.encode([.string("onMetaData"), .ecmaArray([AMF0Property("audiocodecid", .number(2)),
                                                                          AMF0Property("audiosamplerate", .number(44100))])]))
        _ = remuxer.video(timestamp: 0, payload: Payload.videoHeader)
        let first = try XCTUnwrap(remuxer.video(timestamp: 0, payload: Payload.frame(key: true)))
        XCTAssertEqual(Array(pmt(first.bytes)[17..<22]), [0x03, 0xE1, 0x02, 0xF0, 0x00])
        let audio = try XCTUnwrap(remuxer.audio(timestamp: 26, payload: Self.mp3Payload))
        XCTAssertFalse(audio.isRandomAccess)
        XCTAssertEqual(TSTestDemuxer.pes(TSTestDemuxer.packets(audio.bytes), pid: 0x102).first?.data, Self.mp3Frame)
    }

    func testAudioOnlyStreamsRepeatTheirTables() throws {
        var remuxer = TSRemuxer()
        _ = remuxer.audio(timestamp: 0, payload: Payload.audioHeader)
        var access: [UInt32] = []
        for t in stride(from: UInt32(0), to: 3000, by: 23) {
            let out = try XCTUnwrap(remuxer.audio(timestamp: t, payload: Payload.audio))
            if out.isRandomAccess {
                access.append(t)
                XCTAssertEqual(TSTestDemuxer.packets(out.bytes).prefix(2).map(\.pid), [0, 0x1001])
            }
        }
        XCTAssertEqual(access, [0, 1012, 2024])
        // A republish that starts the clock over gets tables at once.
        XCTAssertEqual(remuxer.audio(timestamp: 0, payload: Payload.audio)?.isRandomAccess, true)
    }

    func testAudioStreamRemuxerAndFormats() throws {
        var aac = AudioStreamRemuxer(format: .aac)
        XCTAssertNil(aac.audio(payload: Payload.audio), "no ADTS before the AudioSpecificConfig")
        XCTAssertNil(aac.audio(payload: Payload.audioHeader))
        let adts = try XCTUnwrap(aac.audio(payload: Payload.audio))
        XCTAssertEqual(adts, MP4WriterTests.aacConfig.adtsHeader(payloadLength: 3) + [0x21, 0x10, 0x05])
        XCTAssertNil(aac.audio(payload: Self.mp3Payload), "not this stream's codec")
        var mp3 = AudioStreamRemuxer(format: .mp3)
        XCTAssertEqual(mp3.audio(payload: Self.mp3Payload), Self.mp3Frame)
        XCTAssertNil(mp3.audio(payload: Payload.audio))
        XCTAssertNil(mp3.audio(payload: []))
        XCTAssertEqual(AudioStreamRemuxer.mp3StreamHeader, hexBytes("49 44 33 03 00 00 00 00 00 0a") + [UInt8](repeating: 0, count: 10))

        XCTAssertEqual(LiveRemuxFormat(mount: "[vhost]/[app]/[stream].ts"), .ts)
        XCTAssertEqual(LiveRemuxFormat(mount: "/live/livestream.flv"), .flv)
        XCTAssertEqual(LiveRemuxFormat(mount: "[app]/[stream].aac"), .aac)
        XCTAssertEqual(LiveRemuxFormat(mount: "[app]/[stream].mp3"), .mp3)
        XCTAssertNil(LiveRemuxFormat(mount: "[app]/[stream].m3u8"))
        XCTAssertNil(LiveRemuxFormat(mount: "[app].d/stream"))
        XCTAssertEqual(LiveRemuxFormat.allCases.map(\.contentType), ["video/x-flv", "video/MP2T", "audio/x-aac", "audio/mpeg"])
        XCTAssertEqual(LiveRemuxFormat.ts.fileExtension, ".ts")
    }
}
