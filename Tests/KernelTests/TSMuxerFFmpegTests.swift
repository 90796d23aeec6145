import Foundation
import XCTest
@testable import Kernel

/// End to end: an H.264 + AAC FLV made by ffmpeg goes through the same Kernel path as the HLS
/// writer (FLV headers → AVC/AAC configs → Annex B / ADTS → TS), and ffmpeg must decode the
/// result without a single error. Skipped when ffmpeg/ffprobe are not installed.
final class TSMuxerFFmpegTests: XCTestCase {
    private static func which(_ name: String) -> String? { MediaTools.which(name) }

    private func run(_ path: String, _ args: [String], timeout: TimeInterval = 60) throws -> (Int32, String) {
        try MediaTools.run(path, args, timeout: timeout)
    }

    func testFFmpegDecodesOurTransportStream() throws {
        guard let ffmpeg = Self.which("ffmpeg"), let ffprobe = Self.which("ffprobe") else {
            throw XCTSkip("ffmpeg/ffprobe not installed")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-ts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let flvPath = dir.appendingPathComponent("in.flv").path
        // veryfast keeps B-frames, so composition times are exercised.
        let (status, log) = try run(ffmpeg, ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                                             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "3",
                                             "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25",
                                             "-c:a", "aac", "-b:a", "64k", "-f", "flv", flvPath])
        guard status == 0 else { throw XCTSkip("ffmpeg cannot make the fixture (no libx264?): \(log)") }

        var reader = try FLVTagReader(Array(try Data(contentsOf: URL(fileURLWithPath: flvPath))))
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        var avc: AVCDecoderConfig?
        var aac: AACAudioConfig?
        var segments: [[UInt8]] = []
        var expectedVideoPTS: [UInt64] = []
        var audioFrames = 0
        var sawNegativeOrPositiveCTS = false
        while let tag = try reader.next() {
            if tag.type == FLVTagType.video {
                let info = try FLVVideoInfo.parse(tag.payload)
                XCTAssertEqual(info.codecID, 7)
                if info.isSequenceHeader {
                    avc = try AVCDecoderConfig.parse(tag.payload[info.payloadOffset...])
                    continue
                }
                if info.packetType == 2 { continue }  // ffmpeg ends the file with an AVC end of sequence
                let config = try XCTUnwrap(avc)
                let dts = Int64(tag.timestamp)
                let annexB = try AnnexB.fromAVCC(payload: tag.payload[info.payloadOffset...], nalLengthSize: config.nalLengthSize,
                                                 config: config, keyframe: info.isKeyframe)
                if info.isKeyframe { segments.append(muxer.header()) }
                segments[segments.count - 1] += muxer.writeVideo(dts: dts, pts: dts + Int64(info.compositionTime),
                                                                 keyframe: info.isKeyframe, annexB: annexB)
                expectedVideoPTS.append(UInt64(dts + Int64(info.compositionTime)) * 90)
                if info.compositionTime != 0 { sawNegativeOrPositiveCTS = true }
            } else if tag.type == FLVTagType.audio {
                let info = try FLVAudioInfo.parse(tag.payload)
                XCTAssertEqual(info.soundFormat, 10)
                if info.isSequenceHeader {
                    aac = try AACAudioConfig.parse(tag.payload[info.payloadOffset...])
                    continue
                }
                let config = try XCTUnwrap(aac)
                guard !segments.isEmpty else { continue }  // as HLS does: audio waits for the first keyframe
                let raw = tag.payload[info.payloadOffset...]
                segments[segments.count - 1] += muxer.writeAudio(pts: Int64(tag.timestamp),
                                                                 adts: config.adtsHeader(payloadLength: raw.count) + raw)
                audioFrames += 1
            }
        }
        let config = try XCTUnwrap(avc)
        XCTAssertEqual(config.width, 320)
        XCTAssertEqual(config.height, 240)
        XCTAssertEqual(config.profileName, "High")
        XCTAssertEqual(aac?.profileName, "LC")
        XCTAssertEqual(aac?.sampleRate, 44100)
        XCTAssertEqual(segments.count, 3, "a keyframe every 25 frames over 3 s")
        XCTAssertTrue(sawNegativeOrPositiveCTS, "fixture should have B-frames")
        XCTAssertGreaterThan(audioFrames, 100)

        let allPath = dir.appendingPathComponent("all.ts").path
        let firstPath = dir.appendingPathComponent("seg0.ts").path
        try Data(segments.flatMap { $0 }).write(to: URL(fileURLWithPath: allPath))
        try Data(segments[0]).write(to: URL(fileURLWithPath: firstPath))

        for path in [allPath, firstPath] {
            // Warning level: continuity counter errors only show there ("Packet corrupt").
            let (decodeStatus, decodeLog) = try run(ffmpeg, ["-v", "warning", "-i", path, "-f", "null", "-"])
            XCTAssertEqual(decodeStatus, 0)
            XCTAssertEqual(decodeLog.trimmingCharacters(in: .whitespacesAndNewlines), "", "ffmpeg complains decoding \(path)")
        }

        // The same segments as HLS: separate files and our playlist, read by ffmpeg's HLS demuxer.
        var playlistSegments: [M3U8Segment] = []
        for (i, segment) in segments.enumerated() {
            try Data(segment).write(to: dir.appendingPathComponent("s-\(i).ts"))
            playlistSegments.append(M3U8Segment(uri: "s-\(i).ts", duration: 1, discontinuity: i == 0, sequence: i))
        }
        let playlistPath = dir.appendingPathComponent("s.m3u8").path
        let playlist = M3U8.mediaPlaylist(segments: playlistSegments, targetDuration: 1, mediaSequence: 0) + "#EXT-X-ENDLIST\n"
        try Data(playlist.utf8).write(to: URL(fileURLWithPath: playlistPath))
        let (hlsStatus, hlsLog) = try run(ffmpeg, ["-v", "warning", "-i", playlistPath, "-f", "null", "-"])
        XCTAssertEqual(hlsStatus, 0)
        XCTAssertEqual(hlsLog.trimmingCharacters(in: .whitespacesAndNewlines), "", "ffmpeg complains reading the playlist")

        let (_, streams) = try run(ffprobe, ["-v", "error", "-show_entries",
                                             "stream=codec_name,profile,width,height,sample_rate,channels", "-of", "default=nw=1", allPath])
        for expected in ["codec_name=h264", "codec_name=aac", "width=320", "height=240", "sample_rate=44100", "profile=LC"] {
            XCTAssertTrue(streams.contains(expected), "ffprobe streams lack \(expected):\n\(streams)")
        }

        let (_, packets) = try run(ffprobe, ["-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts",
                                             "-of", "csv=p=0", allPath])
        // csv lines look like "133200," (ffprobe adds a separator and blank lines).
        let probedPTS = packets.split(whereSeparator: \.isNewline).compactMap { $0.split(separator: ",").first.flatMap { UInt64($0) } }
        XCTAssertEqual(probedPTS.sorted(), expectedVideoPTS.sorted(), "every frame's PTS survives, ×90")

        let (_, frames) = try run(ffprobe, ["-v", "error", "-count_frames", "-select_streams", "v:0",
                                            "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", allPath])
        let counted = frames.split(whereSeparator: \.isNewline).compactMap { $0.split(separator: ",").first.flatMap { Int($0) } }
        XCTAssertEqual(counted.first, expectedVideoPTS.count, "frames ffmpeg decoded")
        XCTAssertEqual(expectedVideoPTS.count, 75)
    }

    /// Audio-only streams put the PCR on the audio PID; ffmpeg must accept that too.
    func testFFmpegDecodesAudioOnlyStream() throws {
        guard let ffmpeg = Self.which("ffmpeg"), let ffprobe = Self.which("ffprobe") else {
            throw XCTSkip("ffmpeg/ffprobe not installed")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-ts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let flvPath = dir.appendingPathComponent("audio.flv").path
        let (status, log) = try run(ffmpeg, ["-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000",
                                             "-ac", "2", "-t", "2", "-c:a", "aac", "-f", "flv", flvPath])
        guard status == 0 else { throw XCTSkip("ffmpeg cannot make the fixture: \(log)") }

        var reader = try FLVTagReader(Array(try Data(contentsOf: URL(fileURLWithPath: flvPath))))
        var muxer = TSMuxer(hasVideo: false, hasAudio: true)
        var aac: AACAudioConfig?
        var ts = muxer.header()
        var frames = 0
        while let tag = try reader.next() {
            guard tag.type == FLVTagType.audio else { continue }
            let info = try FLVAudioInfo.parse(tag.payload)
            if info.isSequenceHeader {
                aac = try AACAudioConfig.parse(tag.payload[info.payloadOffset...])
                continue
            }
            let config = try XCTUnwrap(aac)
            if frames > 0 && frames % 40 == 0 { ts += muxer.header() }
            let raw = tag.payload[info.payloadOffset...]
            ts += muxer.writeAudio(pts: Int64(tag.timestamp), adts: config.adtsHeader(payloadLength: raw.count) + raw)
            frames += 1
        }
        XCTAssertEqual(aac?.sampleRate, 48000)
        XCTAssertEqual(aac?.channels, 2)
        let path = dir.appendingPathComponent("audio.ts").path
        try Data(ts).write(to: URL(fileURLWithPath: path))
        let (decodeStatus, decodeLog) = try run(ffmpeg, ["-v", "warning", "-i", path, "-f", "null", "-"])
        XCTAssertEqual(decodeStatus, 0)
        XCTAssertEqual(decodeLog.trimmingCharacters(in: .whitespacesAndNewlines), "")
        let (_, packets) = try run(ffprobe, ["-v", "error", "-select_streams", "a:0", "-show_entries", "packet=pts",
                                             "-of", "csv=p=0", path])
        XCTAssertEqual(packets.split(whereSeparator: \.isNewline).filter { $0.contains(",") }.count, frames)
    }
}
