import Foundation
import XCTest
@testable import Kernel

/// The live remuxes on ffmpeg-made streams, read back by ffmpeg: HTTP-TS (from the start and
/// for a player joining late), MP3 in HLS, HTTP-AAC and HTTP-MP3. Skipped without ffmpeg.
final class LiveRemuxFFmpegTests: XCTestCase {
    /// The stream's TS outputs, message by message.
    private func remux(_ tags: [FLVTag]) -> [TSRemuxer.Output] {
        var remuxer = TSRemuxer()
        var outputs: [TSRemuxer.Output] = []
        for tag in tags {
            switch tag.type {
            case FLVTagType.script: remuxer.metadata(tag.payload)
            case FLVTagType.video: remuxer.video(timestamp: tag.timestamp, payload: tag.payload).map { outputs.append($0) }
            case FLVTagType.audio: remuxer.audio(timestamp: tag.timestamp, payload: tag.payload).map { outputs.append($0) }
            default: break
            }
        }
        return outputs
    }

    func testHTTPTSFromTheStartAndForALateJoiner() throws {
        let dir = try MediaTools.temporaryDirectory("remux-ts")
        defer { try? FileManager.default.removeItem(at: dir) }
        for audio in [MediaTools.FixtureAudio.aac, .mp3] {
            let fixture = try MediaTools.fixture(audio: audio)
            let outputs = remux(fixture.tags)
            let access = outputs.indices.filter { outputs[$0].isRandomAccess }
            XCTAssertEqual(access.count, 3, "a keyframe a second")
            let whole = dir.appendingPathComponent("\(audio).ts").path
            let late = dir.appendingPathComponent("\(audio)-late.ts").path
            try Data(outputs.flatMap(\.bytes)).write(to: URL(fileURLWithPath: whole))
            try Data(outputs[access[1]...].flatMap(\.bytes)).write(to: URL(fileURLWithPath: late))
            for (path, duration) in [(whole, fixture.duration), (late, fixture.duration - 1)] {
                XCTAssertEqual(try MediaTools.decodeErrors(path, level: "warning"), "", path)
                let probe = try MediaTools.probe(path)
                XCTAssertEqual(probe.stream("h264")?["width"], "320", path)
                XCTAssertEqual(probe.stream(audio.rawValue)?["sample_rate"], "44100", "\(path): \(probe.streams)")
                XCTAssertEqual(probe.duration, duration, accuracy: 0.1, path)
            }
        }
    }

    /// MP3 in HLS: the TS cut at its keyframes into segments of a playlist, as HLS writes them.
    func testHLSCarriesMP3() throws {
        let fixture = try MediaTools.fixture(audio: .mp3)
        let dir = try MediaTools.temporaryDirectory("remux-hls")
        defer { try? FileManager.default.removeItem(at: dir) }
        var segments: [[UInt8]] = []
        for output in remux(fixture.tags) {
            if output.isRandomAccess || segments.isEmpty { segments.append([]) }
            segments[segments.count - 1] += output.bytes
        }
        var entries: [M3U8Segment] = []
        for (i, segment) in segments.enumerated() {
            try Data(segment).write(to: dir.appendingPathComponent("s-\(i).ts"))
            entries.append(M3U8Segment(uri: "s-\(i).ts", duration: 1, discontinuity: false, sequence: i))
        }
        let playlist = dir.appendingPathComponent("s.m3u8").path
        try Data((M3U8.mediaPlaylist(segments: entries, targetDuration: 1, mediaSequence: 0) + "#EXT-X-ENDLIST\n").utf8)
            .write(to: URL(fileURLWithPath: playlist))
        XCTAssertEqual(try MediaTools.decodeErrors(playlist, level: "warning"), "")
        let probe = try MediaTools.probe(playlist)
        XCTAssertNotNil(probe.stream("h264"))
        XCTAssertEqual(probe.stream("mp3")?["channels"], "1", "\(probe.streams)")
    }

    func testHTTPAACAndHTTPMP3() throws {
        let dir = try MediaTools.temporaryDirectory("remux-audio")
        defer { try? FileManager.default.removeItem(at: dir) }
        for (audio, format) in [(MediaTools.FixtureAudio.aac, AudioStreamRemuxer.Format.aac), (.mp3, .mp3)] {
            let fixture = try MediaTools.fixture(audio: audio)
            var remuxer = AudioStreamRemuxer(format: format)
            var stream = format == .mp3 ? AudioStreamRemuxer.mp3StreamHeader : []
            for tag in fixture.tags where tag.type == FLVTagType.audio {
                stream += remuxer.audio(payload: tag.payload) ?? []
            }
            let path = dir.appendingPathComponent("stream.\(audio)").path
            try Data(stream).write(to: URL(fileURLWithPath: path))
            XCTAssertEqual(try MediaTools.decodeErrors(path), "", path)
            let probe = try MediaTools.probe(path)
            XCTAssertEqual(probe.streams.count, 1, "\(probe.streams)")
            XCTAssertEqual(probe.stream(audio.rawValue)?["sample_rate"], "44100", "\(probe.streams)")
            XCTAssertEqual(probe.duration, fixture.duration - 0.06, accuracy: 0.1, path)
        }
    }
}
