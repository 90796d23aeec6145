import XCTest
@testable import Kernel

final class MP4WriterTests: XCTestCase {
    static let avcRecord = AVCDecoderConfig(sps: [AVCDecoderConfigTests.high640SPS], pps: [AVCDecoderConfigTests.high640PPS]).bytes()
    static let aacConfig = AACAudioConfig(objectType: 2, sampleRate: 44100, channelConfiguration: 2)

    /// A writer with H.264 and AAC configured and its start bytes.
    private func writer() throws -> (MP4Writer, [UInt8]) {
        var w = MP4Writer()
        let start = w.start()
        XCTAssertEqual(try w.videoConfiguration(Self.avcRecord[...]), .accepted)
        XCTAssertEqual(w.audioConfiguration(.aac(Self.aacConfig, specificConfig: Self.aacConfig.bytes())), .accepted)
        return (w, start)
    }

    /// The whole file: what was written, the moov appended and the mdat patch applied.
    private func close(_ w: MP4Writer, _ file: [UInt8]) throws -> MP4TestBoxes {
        let (moov, patch) = try XCTUnwrap(w.finish())
        var bytes = file + moov
        bytes.replaceSubrange(Int(patch.offset)..<(Int(patch.offset) + patch.bytes.count), with: patch.bytes)
        return try MP4TestBoxes(bytes)
    }

    func testFileLayout() throws {
        var w = MP4Writer()
        let start = w.start()
        XCTAssertEqual(start.count, 48)
        XCTAssertEqual(w.bytesWritten, 48)
        let boxes = try MP4TestBoxes(start)
        XCTAssertEqual(boxes.top.map(\.type), ["ftyp", "free", "mdat"])
        XCTAssertEqual(Array(boxes.top[0].body), Array("isom".utf8) + [0, 0, 2, 0] + Array("isomiso2avc1mp41".utf8))
        XCTAssertNil(w.finish(), "no sample, no MP4")
    }

    func testSampleTablesAndOffsets() throws {
        var (w, file) = try writer()
        let aacRaw: [UInt8] = [0x21, 0x10, 0x05]
        // Video (B-frames: I P B B) at 25 fps, each frame's bytes its index; AAC every 23/24 ms.
        let video: [(dts: Int64, cts: Int32, key: Bool)] = [(0, 80, true), (40, 200, false), (80, 80, false), (120, 0, false),
                                                            (160, 40, false), (200, 80, true)]
        var audioTimes: [Int64] = [0, 23, 46, 70, 93, 116, 139, 163, 186, 209]
        var sampleBytes: [[UInt8]] = []
        for (i, v) in video.enumerated() {
            let sample = [UInt8](repeating: UInt8(i), count: 10 + i)
            file += w.writeVideo(dts: v.dts, compositionTime: v.cts, keyframe: v.key, sample: sample[...])
            sampleBytes.append(sample)
            while let t = audioTimes.first, t < v.dts + 40 {
                file += w.writeAudio(dts: t, sample: aacRaw[...])
                audioTimes.removeFirst()
            }
        }
        XCTAssertEqual(w.videoSampleCount, 6)
        XCTAssertEqual(w.audioSampleCount, 10)
        XCTAssertEqual(w.bytesWritten, UInt64(file.count))
        let boxes = try close(w, file)
        XCTAssertEqual(boxes.top.map(\.type), ["ftyp", "free", "mdat", "moov"])
        XCTAssertEqual(boxes.top[2].body.count, file.count - 48, "mdat size patched")
        XCTAssertEqual(boxes.first("moov/mvhd").map { MP4TestBoxes.words($0)[2] }, 1000, "movie timescale: ms")

        let vide = try XCTUnwrap(boxes.track("vide"))
        let stbl = try XCTUnwrap(MP4TestBoxes.child(vide, "mdia/minf/stbl"))
        func table(_ type: String, _ width: Int) throws -> [[UInt32]] {
            MP4TestBoxes.table(try XCTUnwrap(MP4TestBoxes.child(stbl, type), type), width: width)
        }
        XCTAssertEqual(try table("stts", 2), [[6, 40]], "the last frame lasts as the one before")
        XCTAssertEqual(try table("ctts", 2), [[1, 80], [1, 200], [1, 80], [1, 0], [1, 40], [1, 80]])
        XCTAssertEqual(try table("stss", 1), [[1], [6]])
        XCTAssertEqual(MP4TestBoxes.words(try XCTUnwrap(MP4TestBoxes.child(stbl, "stsz"))), [0, 6, 10, 11, 12, 13, 14, 15])
        // Each chunk is the run of video samples between audio ones; its offset finds the bytes.
        let chunks = try table("stco", 1).map { Int($0[0]) }
        let stsc = try table("stsc", 3)
        XCTAssertEqual(stsc.first, [1, 1, 1])
        XCTAssertEqual(chunks.count, 6)
        for (i, offset) in chunks.enumerated() {
            XCTAssertEqual(Array(boxes.bytes[offset..<(offset + sampleBytes[i].count)]), sampleBytes[i], "video sample \(i)")
        }
        XCTAssertEqual(MP4TestBoxes.child(stbl, "stsd/avc1/avcC").map { Array($0.body) }, Self.avcRecord)
        let tkhd = try XCTUnwrap(MP4TestBoxes.child(vide, "tkhd"))
        XCTAssertEqual(MP4TestBoxes.words(tkhd).suffix(2), [640 << 16, 360 << 16])
        // B-frames: the first frame is presented 80 ms after the audio starts (an empty edit),
        // and the media before its composition time 80 is skipped.
        let elst = try XCTUnwrap(MP4TestBoxes.child(vide, "edts/elst"))
        XCTAssertEqual(MP4TestBoxes.table(elst, width: 3), [[80, UInt32(bitPattern: -1), 0x0001_0000], [160, 80, 0x0001_0000]])

        let soun = try XCTUnwrap(boxes.track("soun"))
        let audioTables = try XCTUnwrap(MP4TestBoxes.child(soun, "mdia/minf/stbl"))
        XCTAssertEqual(MP4TestBoxes.child(soun, "mdia/mdhd").map { MP4TestBoxes.words($0)[2] }, 44100)
        XCTAssertEqual(MP4TestBoxes.table(try XCTUnwrap(MP4TestBoxes.child(audioTables, "stts")), width: 2), [[10, 1024]],
                       "AAC frames last 1024 samples exactly, whatever their millisecond rounding")
        XCTAssertNil(MP4TestBoxes.child(audioTables, "ctts"))
        XCTAssertNil(MP4TestBoxes.child(audioTables, "stss"))
        XCTAssertNil(MP4TestBoxes.child(soun, "edts"), "audio starts the movie")
        let esds = try XCTUnwrap(MP4TestBoxes.child(audioTables, "stsd/mp4a/esds"))
        let asc = Self.aacConfig.bytes()
        XCTAssertEqual(Array(esds.body.suffix(asc.count + 11)),
                       [0x05, 0x80, 0x80, 0x80, UInt8(asc.count)] + asc + [0x06, 0x80, 0x80, 0x80, 0x01, 0x02],
                       "DecoderSpecificInfo is the AudioSpecificConfig")
        XCTAssertTrue(esds.body.contains(0x40), "object type AAC")
        let mp4a = try XCTUnwrap(MP4TestBoxes.child(audioTables, "stsd/mp4a"))
        XCTAssertEqual(Array(Array(mp4a.body)[16..<20]), [0, 2, 0, 16], "2 channels, 16 bits")
        XCTAssertEqual(Array(Array(mp4a.body)[24..<28]), [0xAC, 0x44, 0, 0], "44100 in 16.16")
    }

    func testAudioGapsAndLateTracks() throws {
        var (w, file) = try writer()
        // Audio starts 500 ms before video, and has a 1 s hole.
        for t: Int64 in [500, 523, 546, 1570, 1593] { file += w.writeAudio(dts: t, sample: [1, 2][...]) }
        file += w.writeVideo(dts: 1000, compositionTime: 0, keyframe: true, sample: [9][...])
        file += w.writeVideo(dts: 1040, compositionTime: 0, keyframe: false, sample: [9][...])
        let boxes = try close(w, file)
        let soun = try XCTUnwrap(boxes.track("soun"))
        let stts = try XCTUnwrap(MP4TestBoxes.child(soun, "mdia/minf/stbl/stts"))
        // 546 ms (sample 2048) → 1570 ms (1070 ms from the start: sample 47187) is a gap, not a frame.
        XCTAssertEqual(MP4TestBoxes.table(stts, width: 2), [[2, 1024], [1, 45139], [2, 1024]])
        let vide = try XCTUnwrap(boxes.track("vide"))
        XCTAssertEqual(MP4TestBoxes.table(try XCTUnwrap(MP4TestBoxes.child(vide, "edts/elst")), width: 3),
                       [[500, UInt32(bitPattern: -1), 0x0001_0000], [80, 0, 0x0001_0000]], "video starts 500 ms into the movie")
        XCTAssertNil(MP4TestBoxes.child(vide, "mdia/minf/stbl/ctts"), "no composition offsets, no ctts")
    }

    func testVideoWaitsForItsConfigurationAndAKeyframe() throws {
        var w = MP4Writer()
        var file = w.start()
        XCTAssertEqual(w.writeVideo(dts: 0, compositionTime: 0, keyframe: true, sample: [1][...]), [], "no avcC yet")
        XCTAssertEqual(try w.videoConfiguration(Self.avcRecord[...]), .accepted)
        XCTAssertEqual(w.writeVideo(dts: 40, compositionTime: 0, keyframe: false, sample: [2][...]), [], "not a keyframe")
        file += w.writeVideo(dts: 80, compositionTime: 0, keyframe: true, sample: [3][...])
        // Decoding times strictly increase: a repeated timestamp moves on by 1 ms.
        file += w.writeVideo(dts: 80, compositionTime: 0, keyframe: false, sample: [4][...])
        file += w.writeVideo(dts: 70, compositionTime: 0, keyframe: false, sample: [5][...])
        file += w.writeVideo(dts: 160, compositionTime: -30, keyframe: false, sample: [6][...])
        XCTAssertEqual(file.suffix(4), [3, 4, 5, 6])
        let boxes = try close(w, file)
        XCTAssertEqual(boxes.all("moov/trak").count, 1)
        let stbl = try XCTUnwrap(boxes.first("moov/trak/mdia/minf/stbl"))
        XCTAssertEqual(MP4TestBoxes.table(try XCTUnwrap(MP4TestBoxes.child(stbl, "stts")), width: 2), [[2, 1], [2, 78]])
        XCTAssertNil(MP4TestBoxes.child(stbl, "ctts"), "a negative composition offset is written as 0")
        var fresh = MP4Writer()
        XCTAssertThrowsError(try fresh.videoConfiguration([1, 2, 3][...]))
    }

    func testConfigurationChanges() throws {
        var (w, _) = try writer()
        XCTAssertEqual(try w.videoConfiguration(Self.avcRecord[...]), .unchanged)
        let other = AVCDecoderConfig(sps: [AVCDecoderConfigTests.baseline720SPS], pps: [AVCDecoderConfigTests.high640PPS]).bytes()
        XCTAssertEqual(try w.videoConfiguration(other[...]), .accepted, "no sample yet: replaced")
        XCTAssertEqual(w.avc?.width, 1280)
        _ = w.writeVideo(dts: 0, compositionTime: 0, keyframe: true, sample: [1][...])
        XCTAssertEqual(try w.videoConfiguration(Self.avcRecord[...]), .changed)
        XCTAssertEqual(w.avc?.width, 1280, "the file keeps its configuration")

        let lame = try MP3FrameHeader.parse(hexBytes("FF FB 90 64"))
        var mp3 = MP4Writer()
        _ = mp3.start()
        XCTAssertEqual(mp3.audioConfiguration(.mp3(lame)), .accepted)
        _ = mp3.writeAudio(dts: 0, sample: (hexBytes("FF FB 90 64") + [UInt8](repeating: 0, count: 413))[...])
        XCTAssertEqual(mp3.audioConfiguration(.mp3(try MP3FrameHeader.parse(hexBytes("FF FB 52 64")))), .unchanged,
                       "another bitrate, same track")
        XCTAssertEqual(mp3.audioConfiguration(.mp3(try MP3FrameHeader.parse(hexBytes("FF FB 94 64")))), .changed, "48 kHz")
        XCTAssertEqual(mp3.audioConfiguration(.aac(Self.aacConfig, specificConfig: Self.aacConfig.bytes())), .changed)
    }

    func testMP3Track() throws {
        var w = MP4Writer()
        var file = w.start()
        let frame = hexBytes("FF F3 48 C4") + [UInt8](repeating: 0, count: 140)  // MPEG-2, 16 kHz: 576 samples
        XCTAssertEqual(w.audioConfiguration(.mp3(try MP3FrameHeader.parse(frame))), .accepted)
        for t: Int64 in [0, 36, 72] { file += w.writeAudio(dts: t, sample: frame[...]) }
        file += w.writeAudio(dts: 108, sample: (frame + frame)[...])
        let boxes = try close(w, file)
        let stbl = try XCTUnwrap(boxes.first("moov/trak/mdia/minf/stbl"))
        XCTAssertEqual(boxes.first("moov/trak/mdia/mdhd").map { MP4TestBoxes.words($0)[2...3] }, [16000, 576 * 5])
        XCTAssertEqual(MP4TestBoxes.table(try XCTUnwrap(MP4TestBoxes.child(stbl, "stts")), width: 2), [[3, 576], [1, 1152]])
        let esds = try XCTUnwrap(MP4TestBoxes.child(stbl, "stsd/mp4a/esds"))
        XCTAssertTrue(esds.body.contains(0x69), "MPEG-2 audio object type")
        XCTAssertFalse(esds.body.contains(0x05), "no DecoderSpecificInfo")
    }

    /// Past 4 GiB of samples, chunk offsets need co64 and the mdat a 64-bit size, written over
    /// the free box. (The position is moved on instead of writing 4 GiB.)
    func testLargeFilesUseCo64AndA64BitMdat() throws {
        var (w, file) = try writer()
        file += w.writeVideo(dts: 0, compositionTime: 0, keyframe: true, sample: [1][...])
        file += w.writeAudio(dts: 0, sample: [2][...])
        w.bytesWritten = 0x1_0000_0100
        _ = w.writeVideo(dts: 40, compositionTime: 0, keyframe: false, sample: [3, 3][...])
        _ = w.writeAudio(dts: 23, sample: [4][...])
        let (moov, patch) = try XCTUnwrap(w.finish())
        XCTAssertEqual(patch.offset, 32, "over the free box")
        XCTAssertEqual(patch.bytes, [0, 0, 0, 1] + Array("mdat".utf8) + [0, 0, 0, 1, 0, 0, 0, 0xE3], "size from the free box")
        let boxes = try MP4TestBoxes(moov)
        let vide = try XCTUnwrap(boxes.track("vide"))
        XCTAssertNil(MP4TestBoxes.child(vide, "mdia/minf/stbl/stco"))
        let co64 = MP4TestBoxes.words(try XCTUnwrap(MP4TestBoxes.child(vide, "mdia/minf/stbl/co64")))
        XCTAssertEqual(co64, [2, 0, 48, 1, 0x100], "8-byte offsets: 48, then 4 GiB + 256")
        let soun = try XCTUnwrap(boxes.track("soun"))
        let audioOffsets = MP4TestBoxes.words(try XCTUnwrap(MP4TestBoxes.child(soun, "mdia/minf/stbl/co64")))
        XCTAssertEqual(audioOffsets, [2, 0, 49, 1, 0x102])
        XCTAssertEqual(file.count, 50)
    }

    /// Durations past 32 bits switch mvhd/mdhd/tkhd to version 1.
    func testLongRecordingsUseVersion1Headers() throws {
        var w = MP4Writer()
        _ = w.start()
        _ = w.audioConfiguration(.aac(AACAudioConfig(objectType: 2, sampleRate: 48000, channelConfiguration: 2), specificConfig: [0x11, 0x90]))
        // Two gaps of 22 hours (each under 2^32 samples at 48 kHz, together over).
        for t: Int64 in [0, 80_000_000, 160_000_000] { _ = w.writeAudio(dts: t, sample: [1][...]) }
        let boxes = try MP4TestBoxes(try XCTUnwrap(w.finish()).moov)
        let mdhd = try XCTUnwrap(boxes.first("moov/trak/mdia/mdhd"))
        XCTAssertEqual(mdhd.body.first, 1)
        let words = MP4TestBoxes.words(mdhd)
        XCTAssertEqual(words[4], 48000)
        XCTAssertEqual(UInt64(words[5]) << 32 | UInt64(words[6]), 160_000_000 * 48 + 1024)
        XCTAssertEqual(boxes.first("moov/mvhd")?.body.first, 0, "160 000 s in ms fits 32 bits")
    }
}
