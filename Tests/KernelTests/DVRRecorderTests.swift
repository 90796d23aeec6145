import XCTest
@testable import Kernel

/// The DVR state machine on synthetic messages: when files open, cut, close and notify, what
/// they start with, and what happens on errors.
final class DVRRecorderTests: XCTestCase {
    /// FLV payloads of a synthetic H.264 + AAC stream.
    enum Payload {
        static let avcRecord = MP4WriterTests.avcRecord
        static let videoHeader: [UInt8] = [0x17, 0, 0, 0, 0] + avcRecord
        static let audioHeader: [UInt8] = [0xAF, 0] + MP4WriterTests.aacConfig.bytes()
        static func frame(key: Bool, size: Int = 20) -> [UInt8] {
            let n = size - 9  // one NAL unit after the 5-byte header and its 4-byte length
            return [key ? 0x17 : 0x27, 1, 0, 0, 0, UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)]
                + [UInt8](repeating: 0x65, count: n)
        }
        static let audio: [UInt8] = [0xAF, 1, 0x21, 0x10, 0x05]
        static let metadata = AMF0.encode([.string("@setDataFrame"), .string("onMetaData"),
                                           .ecmaArray([AMF0Property("width", .number(640)), AMF0Property("duration", .number(0))])])
    }

    final class Clock {
        var time = dvrTestTime
        func next() -> CalendarTime {
            defer { time.epochMs += 1 }
            return time
        }
    }

    private func recorder(_ config: DVRConfig, stream: String = "s") -> DVRRecorder {
        let clock = Clock()
        return DVRRecorder(config: config, names: .init(vhost: "v", app: "live", stream: stream), clock: clock.next)
    }

    /// Publishes `seconds` of 25 fps video (a keyframe every `gop` frames) and audio every
    /// 23 ms, after metadata and sequence headers, all at publisher times from `start`.
    private func publish(_ r: inout DVRRecorder, _ disk: inout DVRTestDisk, seconds: Int, gop: Int = 25, start: UInt32 = 0,
                         frameSize: Int = 20) {
        disk.perform(r.metadata(Payload.metadata), &r)
        disk.perform(r.video(timestamp: start, payload: Payload.videoHeader), &r)
        disk.perform(r.audio(timestamp: start, payload: Payload.audioHeader), &r)
        var audioTime = start
        for i in 0..<(seconds * 25) {
            let t = start + UInt32(i * 40)
            disk.perform(r.video(timestamp: t, payload: Payload.frame(key: i % gop == 0, size: frameSize)), &r)
            while audioTime < t + 40 {
                disk.perform(r.audio(timestamp: audioTime, payload: Payload.audio), &r)
                audioTime += 23
            }
        }
    }

    private func tags(_ file: [UInt8]) throws -> [FLVTag] {
        var reader = try FLVTagReader(file)
        var out: [FLVTag] = []
        while let tag = try reader.next() { out.append(tag) }
        return out
    }

    func testSessionPlanWritesOneFileFromFirstMediaToFinish() throws {
        var r = recorder(DVRConfig(path: "./objs/[app]/[stream].[timestamp].flv"))
        var disk = DVRTestDisk()
        disk.perform(r.metadata(Payload.metadata), &r)
        XCTAssertEqual(disk.actions, [], "metadata alone opens nothing")
        publish(&r, &disk, seconds: 2, start: 5_000)
        let file = DVRFile(path: "./objs/live/s.1420254068776.flv")
        XCTAssertEqual(disk.actions.first, .open(file))
        XCTAssertEqual(file.temporaryPath, "./objs/live/s.1420254068776.flv.tmp")
        XCTAssertEqual(r.currentFile, file)
        disk.actions = []
        disk.perform(r.finish(), &r)
        XCTAssertEqual(disk.actions.map(\.kind), ["write", "patch", "patch", "close", "notify"])
        XCTAssertEqual(disk.actions.last, .notify(path: file.path))
        XCTAssertNil(r.currentFile)
        XCTAssertEqual(disk.files.keys.sorted(), [file.path])

        let tags = try tags(disk.files[file.path]!)
        XCTAssertEqual(tags.first?.type, FLVTagType.script)
        let meta = try XCTUnwrap(AMF0.decodeAll(tags[0].payload).last?.properties)
        XCTAssertEqual(meta.first { $0.key == "width" }?.value, .number(640))
        XCTAssertEqual(meta.first { $0.key == "filesize" }?.value, .number(Double(disk.files[file.path]!.count)))
        // From the headers at 9 to the end of the last audio frame: 9 + 86 × 23 + 23.
        XCTAssertEqual(meta.first { $0.key == "duration" }?.value, .number(2.001))
        XCTAssertEqual(tags[1].payload, Payload.videoHeader)
        XCTAssertEqual(tags[2].payload, Payload.audioHeader)
        // time_jitter full: the file starts at 0 (SRS's quirk: 5 000 is a jump, counted as 10 ms, from -1).
        XCTAssertEqual(tags[1].timestamp, 9)
        XCTAssertEqual(tags.filter { $0.type == FLVTagType.video }.count, 51)
        XCTAssertEqual(tags.last { $0.type == FLVTagType.video }?.timestamp, 9 + 49 * 40)
    }

    func testNothingPublishedNothingWritten() {
        var r = recorder(DVRConfig())
        var disk = DVRTestDisk()
        disk.perform(r.metadata(Payload.metadata), &r)
        disk.perform(r.finish(), &r)
        XCTAssertEqual(disk.actions, [])
        // Garbage is not media.
        disk.perform(r.video(timestamp: 0, payload: []), &r)
        disk.perform(r.audio(timestamp: 0, payload: []), &r)
        disk.perform(r.metadata([0xFF, 0x00]), &r)
        XCTAssertEqual(disk.actions, [])
    }

    func testFLVDropsVideoBeforeTheFirstKeyframeUnlessTold() throws {
        for wait in [true, false] {
            var r = recorder(DVRConfig(path: "./[stream].flv", waitKeyframe: wait))
            var disk = DVRTestDisk()
            disk.perform(r.video(timestamp: 0, payload: Payload.videoHeader), &r)
            disk.perform(r.video(timestamp: 40, payload: Payload.frame(key: false)), &r)
            disk.perform(r.audio(timestamp: 50, payload: Payload.audio), &r)
            disk.perform(r.video(timestamp: 80, payload: Payload.frame(key: true)), &r)
            disk.perform(r.video(timestamp: 120, payload: Payload.frame(key: false)), &r)
            disk.perform(r.finish(), &r)
            let video = try tags(disk.files["./s.flv"]!).filter { $0.type == FLVTagType.video }.map(\.timestamp)
            XCTAssertEqual(video, wait ? [0, 80, 120] : [0, 40, 80, 120], "wait_keyframe \(wait)")
        }
    }

    func testSegmentPlanCutsAtKeyframesAndRestartsEachFileWithHeaders() throws {
        let config = DVRConfig(plan: .segment, path: "./r/[stream].[timestamp].flv", durationSeconds: 1)
        var r = recorder(config)
        var disk = DVRTestDisk()
        // Keyframes every 0.6 s: a file passes 1 s at 1.2 s of media and is cut there.
        publish(&r, &disk, seconds: 3, gop: 15)
        disk.perform(r.finish(), &r)
        XCTAssertEqual(disk.notified, (0..<3).map { "./r/s.\(1_420_254_068_776 + $0).flv" })
        XCTAssertEqual(disk.opened.count, 3)
        for (i, path) in disk.notified.enumerated() {
            let tags = try tags(disk.files[path]!)
            XCTAssertEqual(tags.prefix(3).map(\.type), [FLVTagType.script, FLVTagType.video, FLVTagType.audio], path)
            XCTAssertEqual(tags[1].payload, Payload.videoHeader)
            XCTAssertEqual(tags[2].payload, Payload.audioHeader)
            let firstFrame = try XCTUnwrap(tags.dropFirst(3).first { $0.type == FLVTagType.video })
            XCTAssertEqual(firstFrame.payload.first, 0x17, "\(path) starts at a keyframe")
            let frames = tags.filter { $0.type == FLVTagType.video }.count - 1
            XCTAssertEqual(frames, i < 2 ? 30 : 15, path)
            // Each file's clock restarts: its headers with its first keyframe, at 9 ms (a jump
            // from -1 counts 10 ms).
            if i > 0 {
                XCTAssertEqual(tags[1].timestamp, 9, path)
                XCTAssertEqual(firstFrame.timestamp, 9, path)
            }
        }
    }

    func testSegmentPlanWithoutWaitingForKeyframes() throws {
        var r = recorder(DVRConfig(plan: .segment, path: "./r/[stream]-[duration].flv", durationSeconds: 1, waitKeyframe: false))
        var disk = DVRTestDisk()
        publish(&r, &disk, seconds: 3, gop: 75)
        disk.perform(r.finish(), &r)
        XCTAssertEqual(disk.notified.count, 3)
        // [duration] is filled in at the rename: each cut file holds just over 1 s.
        for path in disk.notified.prefix(2) {
            let ms = Int(path.dropFirst("./r/s-".count).dropLast(".flv".count))
            XCTAssertNotNil(ms, path)
            XCTAssertEqual(Double(ms ?? 0), 1000, accuracy: 40, path)
        }
        XCTAssertEqual(disk.opened[0].temporaryPath, "./r/s-[duration].flv.tmp")
    }

    func testWritesAreGatheredInBlocks() {
        var r = recorder(DVRConfig(path: "./[stream].flv"))
        var disk = DVRTestDisk()
        publish(&r, &disk, seconds: 2, frameSize: 5_000)
        disk.perform(r.finish(), &r)
        let writes = disk.actions.compactMap { if case .write(let b) = $0 { return b.count } else { return nil } }
        XCTAssertGreaterThan(writes.count, 3)
        XCTAssertTrue(writes.dropLast().allSatisfy { $0 >= DVRRecorder.writeBlockSize }, "\(writes)")
        XCTAssertEqual(writes.reduce(0, +), disk.files["./s.flv"]!.count)
    }

    func testMP4StartsANewFileWhenACodecConfigurationChanges() throws {
        var r = recorder(DVRConfig(path: "./[stream].[timestamp].mp4"))
        var disk = DVRTestDisk()
        publish(&r, &disk, seconds: 1)
        let other = AVCDecoderConfig(sps: [AVCDecoderConfigTests.baseline720SPS], pps: [AVCDecoderConfigTests.high640PPS]).bytes()
        disk.perform(r.video(timestamp: 1000, payload: [0x17, 0, 0, 0, 0] + other), &r)
        XCTAssertEqual(disk.notified.count, 1, "the first file is complete")
        disk.perform(r.video(timestamp: 1000, payload: Payload.frame(key: true)), &r)
        disk.perform(r.audio(timestamp: 1010, payload: Payload.audio), &r)
        disk.perform(r.finish(), &r)
        XCTAssertEqual(disk.notified, ["./s.1420254068776.mp4", "./s.1420254068777.mp4"])
        let first = try MP4TestBoxes(disk.files[disk.notified[0]]!)
        let second = try MP4TestBoxes(disk.files[disk.notified[1]]!)
        XCTAssertEqual(first.first("moov/trak/mdia/minf/stbl/stsd/avc1/avcC").map { Array($0.body) }, Payload.avcRecord)
        XCTAssertEqual(second.first("moov/trak/mdia/minf/stbl/stsd/avc1/avcC").map { Array($0.body) }, other)
        XCTAssertEqual(second.all("moov/trak").count, 2, "the audio header came along")
        XCTAssertEqual(first.all("moov/trak").count, 2)
        // The same header again changes nothing.
        var same = recorder(DVRConfig(path: "./[stream].mp4"))
        var sameDisk = DVRTestDisk()
        publish(&same, &sameDisk, seconds: 1)
        sameDisk.perform(same.video(timestamp: 1000, payload: Payload.videoHeader), &same)
        XCTAssertEqual(sameDisk.notified, [])
    }

    func testAnMP4IsCutWhenItsIndexIsFull() throws {
        var r = recorder(DVRConfig(path: "./[stream].[timestamp].mp4"))
        r.mp4SampleLimit = 100
        var disk = DVRTestDisk()
        publish(&r, &disk, seconds: 3, gop: 25)
        disk.perform(r.finish(), &r)
        // 25 video + 44 audio samples a second: full after 1.5 s, cut at the keyframe at 2 s.
        XCTAssertEqual(disk.notified.count, 2)
        let first = try MP4TestBoxes(disk.files[disk.notified[0]]!)
        XCTAssertEqual(first.track("vide").flatMap { MP4TestBoxes.child($0, "mdia/minf/stbl/stsz") }.map { MP4TestBoxes.words($0)[1] }, 50)
        var flv = recorder(DVRConfig(path: "./[stream].flv"))
        flv.mp4SampleLimit = 100
        var flvDisk = DVRTestDisk()
        publish(&flv, &flvDisk, seconds: 3)
        XCTAssertEqual(flvDisk.opened.count, 1, "an FLV keeps no index")
    }

    func testMP4WarnsOnceAboutCodecsItCannotHold() throws {
        var r = recorder(DVRConfig(path: "./[stream].mp4"))
        var disk = DVRTestDisk()
        publish(&r, &disk, seconds: 1)
        for t: UInt32 in [1000, 1023, 1046] { disk.perform(r.audio(timestamp: t, payload: [0xB2, 1, 2, 3]), &r) }  // Speex
        disk.perform(r.finish(), &r)
        XCTAssertEqual(disk.warnings, ["dvr: v/live/s: audio codec 11 is not recorded in MP4 (AAC and MP3 only)"])
        XCTAssertEqual(disk.notified, ["./s.mp4"])

        // A stream with nothing MP4 can hold leaves no file.
        var hevc = recorder(DVRConfig(path: "./[stream].mp4"))
        var hevcDisk = DVRTestDisk()
        hevcDisk.perform(hevc.video(timestamp: 0, payload: [0x1C, 1, 0, 0, 0, 9]), &hevc)
        hevcDisk.perform(hevc.finish(), &hevc)
        XCTAssertEqual(hevcDisk.actions.map(\.kind), ["open", "warning", "discard"])
        XCTAssertEqual(hevcDisk.files, [:])
    }

    func testAnExistingFileStopsRecordingUntilTheNextPublish() {
        var r = recorder(DVRConfig(path: "./[stream].flv"))
        var disk = DVRTestDisk()
        disk.files["./s.flv"] = [1, 2, 3]
        publish(&r, &disk, seconds: 1)
        XCTAssertTrue(r.stopped)
        XCTAssertEqual(disk.actions.map(\.kind), ["open"], "refused once, then nothing")
        XCTAssertEqual(r.finish(), [])
        XCTAssertFalse(r.stopped)
        XCTAssertEqual(disk.files["./s.flv"], [1, 2, 3], "SRS never appends to or replaces a recording")
    }

    func testAFailedWriteEndsTheFileAsFarAsItCan() {
        for mp4 in [false, true] {
            var r = recorder(DVRConfig(path: mp4 ? "./[stream].mp4" : "./[stream].flv"))
            var disk = DVRTestDisk()
            disk.perform(r.video(timestamp: 0, payload: Payload.videoHeader), &r)
            disk.perform(r.video(timestamp: 0, payload: Payload.frame(key: true, size: 70_000)), &r)
            disk.open = nil  // the disk loses the file: the next write fails
            disk.perform(r.video(timestamp: 40, payload: Payload.frame(key: false, size: 70_000)), &r)
            XCTAssertTrue(r.stopped)
            let tail = disk.actions.suffix(2)
            if mp4 {
                XCTAssertEqual(tail.last, .abandon(DVRFile(path: "./s.mp4")), "an MP4 without its index stays .tmp")
            } else {
                XCTAssertEqual(Array(tail), [.close(DVRFile(path: "./s.flv"), path: "./s.flv"), .notify(path: "./s.flv")])
            }
            let count = disk.actions.count
            disk.perform(r.video(timestamp: 80, payload: Payload.frame(key: false)), &r)
            disk.perform(r.finish(), &r)
            XCTAssertEqual(disk.actions.count, count, "stopped until the next publish")
        }
    }

    func testARefusedPathIsWarnedAndNothingIsWritten() {
        var r = recorder(DVRConfig(path: "./objs/[app]/[stream].flv"), stream: "../../../etc/x")
        var disk = DVRTestDisk()
        publish(&r, &disk, seconds: 1)
        XCTAssertEqual(disk.actions.map(\.kind), ["warning"])
        XCTAssertEqual(disk.warnings.first?.hasPrefix("dvr: refuse to record v/live/../../../etc/x under ./objs/[app]/[stream].flv"), true)
        XCTAssertEqual(disk.files, [:])
    }

    func testFinishForgetsTheStreamAndARepublishStartsAFreshFile() throws {
        var r = recorder(DVRConfig(path: "./[stream].[timestamp].flv"))
        var disk = DVRTestDisk()
        publish(&r, &disk, seconds: 1)
        disk.perform(r.finish(), &r)
        // The next publish sends frames without headers: the new file has no stale ones.
        disk.perform(r.video(timestamp: 0, payload: Payload.frame(key: true)), &r)
        disk.perform(r.finish(), &r)
        XCTAssertEqual(disk.notified.count, 2)
        let second = try tags(disk.files[disk.notified[1]]!)
        XCTAssertEqual(second.map(\.type), [FLVTagType.script, FLVTagType.video])
        XCTAssertEqual(try AMF0.decodeAll(second[0].payload).last?.properties?.map(\.key), ["filesize", "duration"])
    }

    func testSegmentPlanWithoutTimeCorrectionAndWithoutVideo() throws {
        // time_jitter off: files keep the publisher's times, and still last dvr_duration (the
        // headers take the time of the keyframe that opens a file, not of the publish).
        var r = recorder(DVRConfig(plan: .segment, path: "./r/[stream].[timestamp].flv", durationSeconds: 1, timeJitter: .off))
        var disk = DVRTestDisk()
        publish(&r, &disk, seconds: 3, gop: 15, start: 60_000)
        disk.perform(r.finish(), &r)
        XCTAssertEqual(disk.notified.count, 3)
        let second = try tags(disk.files[disk.notified[1]]!)
        XCTAssertEqual(second[1].timestamp, 61_200)
        XCTAssertEqual(second.filter { $0.type == FLVTagType.video }.count, 31)

        // Audio only: nothing to wait for, cut at the first message past the duration.
        var audio = recorder(DVRConfig(plan: .segment, path: "./a/[stream].[timestamp].flv", durationSeconds: 1))
        var audioDisk = DVRTestDisk()
        audioDisk.perform(audio.audio(timestamp: 0, payload: Payload.audioHeader), &audio)
        for t in stride(from: UInt32(0), to: 2500, by: 23) { audioDisk.perform(audio.audio(timestamp: t, payload: Payload.audio), &audio) }
        audioDisk.perform(audio.finish(), &audio)
        XCTAssertEqual(audioDisk.notified.count, 3)
    }

    func testResumeWritesTheSourcesHeadersFirst() throws {
        var r = recorder(DVRConfig(path: "./[stream].flv"))
        var disk = DVRTestDisk()
        r.resume(metadata: Payload.metadata, videoHeader: Payload.videoHeader, audioHeader: Payload.audioHeader)
        XCTAssertEqual(disk.actions, [], "nothing until the stream sends something")
        r.resume(metadata: nil, videoHeader: Payload.frame(key: true), audioHeader: Payload.audio)  // not headers: ignored
        disk.perform(r.video(timestamp: 90_000, payload: Payload.frame(key: true)), &r)
        disk.perform(r.finish(), &r)
        let tags = try tags(disk.files["./s.flv"]!)
        XCTAssertEqual(tags.map(\.type), [FLVTagType.script, FLVTagType.video, FLVTagType.audio, FLVTagType.video])
        XCTAssertEqual(tags[1].payload, Payload.videoHeader)
        XCTAssertEqual(tags[2].payload, Payload.audioHeader)
        XCTAssertEqual(tags.map(\.timestamp), [0, 9, 9, 9])
        XCTAssertEqual(try AMF0.decodeAll(tags[0].payload).last?.properties?.first?.key, "width")
    }
}

extension DVRAction {
    /// The action's name, for comparing sequences.
    var kind: String {
        switch self {
        case .open: return "open"
        case .write: return "write"
        case .patch: return "patch"
        case .close: return "close"
        case .discard: return "discard"
        case .abandon: return "abandon"
        case .notify: return "notify"
        case .warning: return "warning"
        }
    }
}
