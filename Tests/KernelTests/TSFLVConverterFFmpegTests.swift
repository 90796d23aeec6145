import Foundation
import XCTest
@testable import Kernel

/// A transport stream made by ffmpeg (x264 with B-frames, AAC at 48 kHz, as an SRT publisher
/// sends it) goes through the converter into an FLV file, which ffmpeg must decode without a
/// warning, with every frame and its timing kept. Skipped without ffmpeg.
final class TSFLVConverterFFmpegTests: XCTestCase {
    func testFFmpegTransportStreamBecomesAnFLVFFmpegDecodes() throws {
        guard let ffmpeg = MediaTools.which("ffmpeg"), let ffprobe = MediaTools.which("ffprobe") else {
            throw XCTSkip("ffmpeg/ffprobe not installed")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-tsflv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let tsPath = dir.appendingPathComponent("in.ts").path
        let (status, log) = try MediaTools.run(ffmpeg, [
            "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "4",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "50",
            "-c:a", "aac", "-b:a", "64k", "-f", "mpegts", tsPath])
        guard status == 0 else { throw XCTSkip("ffmpeg cannot make the fixture (no libx264?): \(log)") }

        let ts = Array(try Data(contentsOf: URL(fileURLWithPath: tsPath)))
        var converter = TSFLVConverter()
        var frames: [TSFLVConverter.Frame] = []
        // SRT messages: 7 packets each.
        for start in stride(from: 0, to: ts.count, by: 1316) {
            for case .frame(let f) in converter.feed(ts[start..<min(ts.count, start + 1316)]) { frames.append(f) }
        }
        for case .frame(let f) in converter.flush() { frames.append(f) }
        XCTAssertEqual(converter.droppedFrames, 0)
        XCTAssertEqual(converter.demuxerCounters.continuityErrors, 0)

        let video = frames.filter { $0.type == FLVTagType.video && !$0.isSequenceHeader }
        let audio = frames.filter { $0.type == FLVTagType.audio && !$0.isSequenceHeader }
        XCTAssertEqual(frames.first?.isSequenceHeader, true)
        XCTAssertEqual(video.first?.isKeyframe, true)
        XCTAssertEqual(video.filter(\.isKeyframe).count, 2, "a keyframe every 50 frames over 4 s")
        let header = try XCTUnwrap(frames.first { $0.type == FLVTagType.video && $0.isSequenceHeader })
        let avc = try AVCDecoderConfig.parse(header.payload[5...])
        XCTAssertEqual(avc.width, 320)
        XCTAssertEqual(avc.height, 240)
        let audioHeader = try XCTUnwrap(frames.first { $0.type == FLVTagType.audio && $0.isSequenceHeader })
        let asc = try AACAudioConfig.parse(audioHeader.payload[2...])
        XCTAssertEqual(asc.sampleRate, 48000)
        XCTAssertEqual(asc.profileName, "LC")

        // Every packet ffprobe sees in the TS is a frame here, with the same times.
        func probe(_ stream: String, _ entries: String) throws -> [[Double]] {
            let (_, out) = try MediaTools.run(ffprobe, ["-v", "error", "-select_streams", stream, "-show_entries",
                                                        "packet=\(entries)", "-of", "csv=p=0", tsPath])
            return out.split(whereSeparator: \.isNewline).map { $0.split(separator: ",").compactMap { Double($0) } }
                .filter { !$0.isEmpty }
        }
        let probedVideo = try probe("v:0", "pts_time,dts_time")
        XCTAssertEqual(video.count, probedVideo.count)
        XCTAssertEqual(video.map(\.timestamp), probedVideo.map { UInt32(($0[1] * 1000).rounded(.down)) }, "DTS in ms")
        let cts = video.map { frame -> Int32 in
            let raw = Int32(frame.payload[2]) << 16 | Int32(frame.payload[3]) << 8 | Int32(frame.payload[4])
            return raw & 0x80_0000 != 0 ? raw - 0x100_0000 : raw
        }
        XCTAssertTrue(cts.contains { $0 > 0 }, "x264 veryfast makes B-frames")
        XCTAssertEqual(zip(video, cts).map { Int64($0.timestamp) + Int64($1) },
                       probedVideo.map { Int64(($0[0] * 1000).rounded(.down)) }, "PTS in ms")
        let probedAudio = try probe("a:0", "pts_time")
        // ffmpeg packs several AAC frames per PES; ffprobe reports each frame.
        XCTAssertEqual(audio.count, probedAudio.count)

        // The FLV plays: ffmpeg decodes it without a word.
        var flv = FLVHeader.bytes(hasAudio: true, hasVideo: true)
        for f in frames { flv += try FLVTagWriter.tag(type: f.type, timestamp: f.timestamp, payload: f.payload) }
        let flvPath = dir.appendingPathComponent("out.flv").path
        try Data(flv).write(to: URL(fileURLWithPath: flvPath))
        let (decodeStatus, decodeLog) = try MediaTools.run(ffmpeg, ["-v", "warning", "-i", flvPath, "-f", "null", "-"])
        XCTAssertEqual(decodeStatus, 0)
        XCTAssertEqual(decodeLog.trimmingCharacters(in: .whitespacesAndNewlines), "", "ffmpeg complains decoding our FLV")
        let (_, counted) = try MediaTools.run(ffprobe, ["-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                                                        "stream=nb_read_frames,width,height", "-of", "default=nw=1", flvPath])
        XCTAssertTrue(counted.contains("nb_read_frames=\(video.count)"), counted)
    }
}
