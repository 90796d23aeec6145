import XCTest
@testable import Kernel

final class MP3FrameHeaderTests: XCTestCase {
    func testMPEG1Layer3() throws {
        // 128 kbps, 44.1 kHz, joint stereo, no padding: what lame writes by default.
        let h = try MP3FrameHeader.parse(hexBytes("FF FB 90 64"))
        XCTAssertEqual(h.version, .mpeg1)
        XCTAssertEqual(h.layer, 3)
        XCTAssertEqual(h.bitrateKbps, 128)
        XCTAssertEqual(h.sampleRate, 44100)
        XCTAssertEqual(h.channels, 2)
        XCTAssertFalse(h.padding)
        XCTAssertEqual(h.samplesPerFrame, 1152)
        XCTAssertEqual(h.frameLength, 417)
        // Padding adds a byte; 48 kHz mono at 64 kbps.
        XCTAssertEqual(try MP3FrameHeader.parse(hexBytes("FF FB 92 64")).frameLength, 418)
        let mono = try MP3FrameHeader.parse(hexBytes("FF FB 54 C4"))
        XCTAssertEqual(mono.sampleRate, 48000)
        XCTAssertEqual(mono.bitrateKbps, 64)
        XCTAssertEqual(mono.channels, 1)
        XCTAssertEqual(mono.frameLength, 192)
    }

    func testLowSamplingFrequenciesAndOtherLayers() throws {
        // MPEG-2 layer 3, 32 kbps, 16 kHz, mono: 576 samples, 72 × bitrate / rate bytes.
        let m2 = try MP3FrameHeader.parse(hexBytes("FF F3 48 C4"))
        XCTAssertEqual(m2.version, .mpeg2)
        XCTAssertEqual(m2.sampleRate, 16000)
        XCTAssertEqual(m2.bitrateKbps, 32)
        XCTAssertEqual(m2.samplesPerFrame, 576)
        XCTAssertEqual(m2.frameLength, 144)
        // MPEG 2.5 layer 3 at 8 kHz.
        let m25 = try MP3FrameHeader.parse(hexBytes("FF E3 18 C4"))
        XCTAssertEqual(m25.version, .mpeg25)
        XCTAssertEqual(m25.sampleRate, 8000)
        XCTAssertEqual(m25.bitrateKbps, 8)
        // MPEG-1 layer 2 (1152 samples) and layer 1 (384 samples, 4-byte slots).
        let l2 = try MP3FrameHeader.parse(hexBytes("FF FD 80 04"))
        XCTAssertEqual(l2.layer, 2)
        XCTAssertEqual(l2.bitrateKbps, 128)
        XCTAssertEqual(l2.samplesPerFrame, 1152)
        XCTAssertEqual(l2.frameLength, 417)
        let l1 = try MP3FrameHeader.parse(hexBytes("FF FF 90 04"))
        XCTAssertEqual(l1.layer, 1)
        XCTAssertEqual(l1.bitrateKbps, 288)
        XCTAssertEqual(l1.samplesPerFrame, 384)
        XCTAssertEqual(l1.frameLength, (12 * 288_000 / 44100) * 4)
    }

    func testRefusesWhatIsNotAFrameHeader() {
        for hex in ["FF FB 90", "FE FB 90 64", "FF 1B 90 64", "FF EB 90 64" /* version 01 */, "FF F9 90 64" /* layer 00 */,
                    "FF FB 00 64" /* free format */, "FF FB F0 64" /* bad bitrate */, "FF FB 9C 64" /* rate 11 */] {
            XCTAssertThrowsError(try MP3FrameHeader.parse(hexBytes(hex)), hex)
        }
    }

    func testCountsFramesInAPayload() throws {
        let frame = hexBytes("FF FB 54 C4") + [UInt8](repeating: 0, count: 188)
        XCTAssertEqual(MP3FrameHeader.frameCount(in: frame[...]), 1)
        XCTAssertEqual(MP3FrameHeader.frameCount(in: (frame + frame + frame)[...]), 3)
        XCTAssertEqual(MP3FrameHeader.frameCount(in: (frame + [1, 2, 3])[...]), 1)
        XCTAssertEqual(MP3FrameHeader.frameCount(in: [0, 0, 0, 0][...]), 1, "at least one")
    }
}
