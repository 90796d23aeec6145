import XCTest
@testable import Kernel

final class FLVTagTests: XCTestCase {
    func testFileHeader() {
        XCTAssertEqual(FLVHeader.bytes(hasAudio: true, hasVideo: true), [0x46, 0x4C, 0x56, 1, 0x05, 0, 0, 0, 9, 0, 0, 0, 0])
        XCTAssertEqual(FLVHeader.bytes(hasAudio: true, hasVideo: false)[4], 0x04)
        XCTAssertEqual(FLVHeader.bytes(hasAudio: false, hasVideo: true)[4], 0x01)
    }

    // MARK: - Video

    func testAVCSequenceHeader() throws {
        let info = try FLVVideoInfo.parse([0x17, 0x00, 0, 0, 0, 0x01, 0x64])
        XCTAssertEqual(info.frameType, 1)
        XCTAssertTrue(info.isKeyframe)
        XCTAssertEqual(info.codecID, 7)
        XCTAssertTrue(info.isSequenceHeader)
        XCTAssertEqual(info.payloadOffset, 5)
        XCTAssertFalse(info.isEnhanced)
        XCTAssertNil(info.fourCC)
    }

    func testAVCFramesAndSignedCompositionTime() throws {
        let inter = try FLVVideoInfo.parse([0x27, 0x01, 0xFF, 0xFF, 0x9C, 0, 0, 0, 1, 0x41])
        XCTAssertFalse(inter.isKeyframe)
        XCTAssertFalse(inter.isSequenceHeader)
        XCTAssertEqual(inter.packetType, 1)
        XCTAssertEqual(inter.compositionTime, -100)
        XCTAssertEqual(try FLVVideoInfo.parse([0x17, 0x01, 0x00, 0x00, 0x50]).compositionTime, 80)
        XCTAssertEqual(try FLVVideoInfo.parse([0x17, 0x01, 0x7F, 0xFF, 0xFF]).compositionTime, 0x7F_FFFF)
        XCTAssertEqual(try FLVVideoInfo.parse([0x17, 0x01, 0x80, 0x00, 0x00]).compositionTime, -0x80_0000)
        XCTAssertEqual(try FLVVideoInfo.parse([0x1C, 0x00, 0, 0, 0]).codecID, 12)  // legacy HEVC id
        XCTAssertTrue(try FLVVideoInfo.parse([0x17, 0x02, 0, 0, 0]).packetType == 2)
    }

    func testParsesSlicesWithNonZeroStartIndex() throws {
        let buffer: [UInt8] = [0xAA, 0xBB, 0x27, 0x01, 0x00, 0x00, 0x28]
        let info = try FLVVideoInfo.parse(buffer[2...])
        XCTAssertEqual(info.compositionTime, 40)
        XCTAssertEqual(info.frameType, 2)
    }

    func testOtherLegacyCodecsHaveOneByteHeader() throws {
        let info = try FLVVideoInfo.parse([0x22, 0x55])  // Sorenson H.263 inter frame
        XCTAssertEqual(info.codecID, 2)
        XCTAssertEqual(info.payloadOffset, 1)
        XCTAssertFalse(info.isSequenceHeader)
    }

    func testEnhancedRTMP() throws {
        let start = try FLVVideoInfo.parse([0x90] + Array("hvc1".utf8) + [0x01])
        XCTAssertTrue(start.isEnhanced)
        XCTAssertEqual(start.fourCC, "hvc1")
        XCTAssertEqual(start.codecID, 12)
        XCTAssertTrue(start.isSequenceHeader)
        XCTAssertTrue(start.isKeyframe)
        XCTAssertEqual(start.payloadOffset, 5)

        let coded = try FLVVideoInfo.parse([0x91] + Array("avc1".utf8) + [0xFF, 0xFF, 0xD8, 0, 0, 0, 1])
        XCTAssertEqual(coded.codecID, 7)
        XCTAssertEqual(coded.compositionTime, -40)
        XCTAssertEqual(coded.payloadOffset, 8)
        XCTAssertFalse(coded.isSequenceHeader)

        let codedX = try FLVVideoInfo.parse([0xA3] + Array("hvc1".utf8) + [0, 0, 0, 1])
        XCTAssertEqual(codedX.frameType, 2)
        XCTAssertEqual(codedX.compositionTime, 0)
        XCTAssertEqual(codedX.payloadOffset, 5)

        let av1 = try FLVVideoInfo.parse([0x91] + Array("av01".utf8) + [0x12])
        XCTAssertEqual(av1.codecID, 0)
        XCTAssertEqual(av1.fourCC, "av01")
        XCTAssertEqual(av1.payloadOffset, 5)
    }

    func testGarbageVideoThrows() {
        let bad: [[UInt8]] = [
            [], [0x17], [0x17, 0x01], [0x17, 0x01, 0, 0], [0x00], [0x60, 0x00], [0x10], [0x11],
            [0x17, 0x05, 0, 0, 0], [0x96] + Array("avc1".utf8), [0x97, 0], [0x91, 0x61, 0x76],
            [0x91] + Array("avc1".utf8) + [0], [0x80] + Array("avc1".utf8),
        ]
        for b in bad {
            XCTAssertThrowsError(try FLVVideoInfo.parse(b), "\(b)") { XCTAssertTrue($0 is KernelError) }
        }
        var rng = FastRandom(seed: 7)
        for _ in 0..<5000 {
            let b = rng.bytes(Int.random(in: 0...9, using: &rng))
            if let info = try? FLVVideoInfo.parse(b) { XCTAssertLessThanOrEqual(info.payloadOffset, max(b.count, 1)) }
        }
    }

    // MARK: - Audio

    func testAACAudio() throws {
        let sh = try FLVAudioInfo.parse([0xAF, 0x00, 0x12, 0x10])
        XCTAssertEqual(sh.soundFormat, 10)
        XCTAssertEqual(sh.soundRate, 44100)
        XCTAssertEqual(sh.soundSize, 16)
        XCTAssertEqual(sh.channels, 2)
        XCTAssertTrue(sh.isSequenceHeader)
        XCTAssertEqual(sh.payloadOffset, 2)

        let raw = try FLVAudioInfo.parse([0xAE, 0x01, 0x21])
        XCTAssertFalse(raw.isSequenceHeader)
        XCTAssertEqual(raw.channels, 1)
        XCTAssertEqual(raw.payloadOffset, 2)
    }

    func testOtherAudioFormats() throws {
        let mp3 = try FLVAudioInfo.parse([0x2A, 0xFF])  // MP3, 22 kHz, 16-bit, mono
        XCTAssertEqual(mp3.soundFormat, 2)
        XCTAssertEqual(mp3.soundRate, 22050)
        XCTAssertEqual(mp3.channels, 1)
        XCTAssertEqual(mp3.payloadOffset, 1)
        let pcm = try FLVAudioInfo.parse([0x31])
        XCTAssertEqual(pcm.soundRate, 5512)
        XCTAssertEqual(pcm.soundSize, 8)
        XCTAssertEqual(pcm.channels, 2)
    }

    func testEnhancedAudio() throws {
        let sh = try FLVAudioInfo.parse([0x90] + Array("mp4a".utf8) + [0x12, 0x10])
        XCTAssertTrue(sh.isEnhanced)
        XCTAssertEqual(sh.soundFormat, 10)
        XCTAssertTrue(sh.isSequenceHeader)
        XCTAssertEqual(sh.payloadOffset, 5)
        let opus = try FLVAudioInfo.parse([0x91] + Array("Opus".utf8))
        XCTAssertEqual(opus.soundFormat, 13)
        XCTAssertEqual(opus.fourCC, "Opus")
        XCTAssertEqual(try FLVAudioInfo.parse([0x91] + Array("fLaC".utf8)).soundFormat, 9)
    }

    func testGarbageAudioThrows() {
        for b: [UInt8] in [[], [0xAF], [0xAF, 0x02], [0x90, 0x6D], [0x95] + Array("mp4a".utf8), [0x97, 0, 0, 0, 0]] {
            XCTAssertThrowsError(try FLVAudioInfo.parse(b), "\(b)") { XCTAssertTrue($0 is KernelError) }
        }
    }

    // MARK: - Tags

    func testTagWriterLayout() throws {
        let tag = try FLVTagWriter.tag(type: FLVTagType.video, timestamp: 0x1234_5678, payload: [0x17, 0x01, 0xAA])
        XCTAssertEqual(tag, [0x09, 0x00, 0x00, 0x03, 0x34, 0x56, 0x78, 0x12, 0, 0, 0, 0x17, 0x01, 0xAA, 0, 0, 0, 14])
        let slice: [UInt8] = [9, 9, 1, 2]
        XCTAssertEqual(try FLVTagWriter.tag(type: 8, timestamp: 1, payload: slice[2...]).count, 11 + 2 + 4)
        XCTAssertThrowsError(try FLVTagWriter.tag(type: 9, timestamp: 0, payload: [UInt8](repeating: 0, count: 0x100_0000)))
    }

    func testReaderRoundTrip() throws {
        let tags = [FLVTag(type: 9, timestamp: 0, payload: [0x17, 0x00, 0, 0, 0]),
                    FLVTag(type: 8, timestamp: 23, payload: [0xAF, 0x01, 0x21]),
                    FLVTag(type: 18, timestamp: 0xFF00_0001, payload: [])]
        var file = FLVHeader.bytes(hasAudio: true, hasVideo: false)
        for t in tags { file += try FLVTagWriter.tag(type: t.type, timestamp: t.timestamp, payload: t.payload) }
        var reader = try FLVTagReader(file)
        XCTAssertTrue(reader.hasAudio)
        XCTAssertFalse(reader.hasVideo)
        var read: [FLVTag] = []
        while let t = try reader.next() { read.append(t) }
        XCTAssertEqual(read, tags)

        var cut = try FLVTagReader(Array(file.dropLast(2)))
        XCTAssertNotNil(try cut.next())
        XCTAssertNotNil(try cut.next())
        XCTAssertThrowsError(try cut.next())
        XCTAssertThrowsError(try FLVTagReader(Array("FLX".utf8) + [1, 5, 0, 0, 0, 9, 0, 0, 0, 0]))
        XCTAssertThrowsError(try FLVTagReader([0x46, 0x4C, 0x56, 1]))
    }
}
