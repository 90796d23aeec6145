import XCTest
@testable import Kernel

final class AACAudioConfigTests: XCTestCase {
    func testLCStereo44100() throws {
        let aac = try AACAudioConfig.parse([0x12, 0x10])
        XCTAssertEqual(aac.objectType, 2)
        XCTAssertEqual(aac.profileName, "LC")
        XCTAssertEqual(aac.sampleRateIndex, 4)
        XCTAssertEqual(aac.sampleRate, 44100)
        XCTAssertEqual(aac.channels, 2)
        XCTAssertEqual(aac.bytes(), [0x12, 0x10])
    }

    func testLCMono48000FromSlice() throws {
        let payload: [UInt8] = [0xAF, 0x00, 0x11, 0x88]
        let aac = try AACAudioConfig.parse(payload[2...])
        XCTAssertEqual(aac.sampleRate, 48000)
        XCTAssertEqual(aac.channels, 1)
    }

    func testHEAACExplicitSignalling() throws {
        // Object type 5, core 24 kHz stereo, extension 48 kHz, core object type 2.
        var w = BitWriter()
        w.bits(5, 5)
        w.bits(4, 6)
        w.bits(4, 2)
        w.bits(4, 3)
        w.bits(5, 2)
        w.bits(3, 0)
        let aac = try AACAudioConfig.parse(w.bytes)
        XCTAssertEqual(aac.profileName, "HE")
        XCTAssertEqual(aac.sampleRate, 24000)
        XCTAssertEqual(aac.extensionSampleRate, 48000)
        XCTAssertEqual(aac.coreObjectType, 2)
        XCTAssertEqual(aac.bytes(), w.bytes)
        // ADTS signals the LC core at the core rate; the decoder finds SBR itself.
        let adts = aac.adtsHeader(payloadLength: 10)
        XCTAssertEqual(adts[2] >> 6, 1)
        XCTAssertEqual((adts[2] >> 2) & 0x0F, 6)

        var v2 = aac
        v2.objectType = 29
        XCTAssertEqual(v2.profileName, "HEv2")
        XCTAssertEqual(try AACAudioConfig.parse(v2.bytes()), v2)
    }

    func testEscapedObjectTypeAndExplicitRate() throws {
        var w = BitWriter()
        w.bits(5, 31)
        w.bits(6, 10)  // object type 42
        w.bits(4, 15)
        w.bits(24, 44000)
        w.bits(4, 1)
        w.bits(3, 0)
        let aac = try AACAudioConfig.parse(w.bytes)
        XCTAssertEqual(aac.objectType, 42)
        XCTAssertEqual(aac.profileName, "Other")
        XCTAssertEqual(aac.sampleRateIndex, 15)
        XCTAssertEqual(aac.sampleRate, 44000)
        XCTAssertEqual(aac.channels, 1)
        XCTAssertEqual(aac.bytes(), w.bytes)
        let adts = aac.adtsHeader(payloadLength: 0)
        XCTAssertEqual(adts[2] >> 6, 3, "profile clamped to 3")
        XCTAssertEqual((adts[2] >> 2) & 0x0F, 4, "nearest table rate: 44100")
    }

    func testProfileNames() {
        let names = [1: "Main", 2: "LC", 3: "SSR", 4: "Other", 5: "HE", 29: "HEv2"]
        for (type, name) in names {
            XCTAssertEqual(AACAudioConfig(objectType: type, sampleRate: 44100, channelConfiguration: 2).profileName, name)
        }
        XCTAssertEqual(AACAudioConfig(objectType: 2, sampleRate: 48000, channelConfiguration: 7).channels, 8)
    }

    /// ISO/IEC 13818-7 6.2: 7-byte fixed + variable header without CRC.
    func testADTSHeaderBitLayout() throws {
        let aac = try AACAudioConfig.parse([0x12, 0x10])
        let header = aac.adtsHeader(payloadLength: 100)
        XCTAssertEqual(header, [0xFF, 0xF1, 0x50, 0x80, 0x0D, 0x7F, 0xFC])
        var r = BitReader(header)
        XCTAssertEqual(try r.bits(12), 0xFFF)  // syncword
        XCTAssertEqual(try r.bits(1), 0)  // MPEG-4
        XCTAssertEqual(try r.bits(2), 0)  // layer
        XCTAssertEqual(try r.bits(1), 1)  // protection_absent
        XCTAssertEqual(try r.bits(2), 1)  // profile: LC - 1
        XCTAssertEqual(try r.bits(4), 4)  // 44100
        XCTAssertEqual(try r.bits(1), 0)
        XCTAssertEqual(try r.bits(3), 2)  // stereo
        XCTAssertEqual(try r.bits(4), 0)
        XCTAssertEqual(try r.bits(13), 107)  // frame length includes the header
        XCTAssertEqual(try r.bits(11), 0x7FF)
        XCTAssertEqual(try r.bits(2), 0)
        XCTAssertEqual(r.bitsRemaining, 0)

        let main = AACAudioConfig(objectType: 1, sampleRate: 8000, channelConfiguration: 6).adtsHeader(payloadLength: 8184)
        var m = BitReader(main)
        try m.skip(16)
        XCTAssertEqual(try m.bits(2), 0)
        XCTAssertEqual(try m.bits(4), 11)
        try m.skip(1)
        XCTAssertEqual(try m.bits(3), 6)
        try m.skip(4)
        XCTAssertEqual(try m.bits(13), 0x1FFF)
    }

    /// The App layer writes `aac.adtsHeader(payloadLength: raw.count) + raw` with `raw` a slice.
    func testHeaderConcatenatesWithASlice() throws {
        let aac = try AACAudioConfig.parse([0x12, 0x10])
        let payload: [UInt8] = [0xAF, 0x01, 0x21, 0x10, 0x04]
        let raw = payload[2...]
        let frame: [UInt8] = aac.adtsHeader(payloadLength: raw.count) + raw
        XCTAssertEqual(frame.count, 10)
        XCTAssertEqual(Array(frame[7...]), [0x21, 0x10, 0x04])
    }

    func testGarbageThrows() {
        for b: [UInt8] in [[], [0x12], [0x00, 0x10], [0x16, 0x90], [0x17, 0x80, 0x00], [0xF8, 0x00], [0x17, 0x80, 0x00, 0x00, 0x10]] {
            XCTAssertThrowsError(try AACAudioConfig.parse(b), "\(b)") { XCTAssertTrue($0 is KernelError) }
        }
        var rng = FastRandom(seed: 9)
        for _ in 0..<5000 {
            if let aac = try? AACAudioConfig.parse(rng.bytes(Int.random(in: 0...6, using: &rng))) {
                XCTAssertEqual(aac.adtsHeader(payloadLength: Int.random(in: -5...9000, using: &rng)).count, 7)
            }
        }
    }
}
