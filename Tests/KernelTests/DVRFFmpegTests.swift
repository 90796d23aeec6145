import Foundation
import XCTest
@testable import Kernel

/// End to end: ffmpeg-made FLVs (H.264 with B-frames + AAC or MP3) go through `DVRRecorder` as
/// a publisher's messages; ffprobe must find both streams and the published duration in every
/// file, and ffmpeg must decode them without a single error. Skipped without ffmpeg.
final class DVRFFmpegTests: XCTestCase {
    /// A clock whose every reading is one second after the previous one.
    final class SteppingClock {
        var time = dvrTestTime
        func next() -> CalendarTime {
            defer {
                time.epochMs += 1000
                time.second = (time.second + 1) % 60
            }
            return time
        }
    }

    private func record(_ tags: [FLVTag], _ config: DVRConfig) -> DVRTestDisk {
        let clock = SteppingClock()
        var recorder = DVRRecorder(config: config, names: .init(vhost: "__defaultVhost__", app: "live", stream: "s"),
                                   clock: clock.next)
        var disk = DVRTestDisk()
        recorder.feed(tags, &disk)
        disk.perform(recorder.finish(), &recorder)
        return disk
    }

    /// Checks one recorded file with ffprobe and ffmpeg: codecs, picture size, duration.
    private func check(_ path: String, audio: String, duration expected: Double, tolerance: Double = 0.1,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(try MediaTools.decodeErrors(path), "", "ffmpeg complains decoding \(path)", file: file, line: line)
        let probe = try MediaTools.probe(path)
        XCTAssertEqual(probe.stream("h264")?["width"], "320", file: file, line: line)
        XCTAssertEqual(probe.stream("h264")?["height"], "240", file: file, line: line)
        XCTAssertEqual(probe.stream(audio)?["sample_rate"], "44100", "\(probe.streams)", file: file, line: line)
        XCTAssertEqual(probe.duration, expected, accuracy: tolerance, "duration of \(path)", file: file, line: line)
    }

    func testSessionPlanRecordsAACToFLVAndMP4() throws {
        let fixture = try MediaTools.fixture(audio: .aac)
        let dir = try MediaTools.temporaryDirectory("dvr-session")
        defer { try? FileManager.default.removeItem(at: dir) }
        for path in ["./objs/nginx/html/[app]/[stream].[timestamp].flv", "./objs/[app]/[stream]-[2006][01][02].mp4"] {
            let disk = record(fixture.tags, DVRConfig(path: path))
            XCTAssertEqual(disk.notified.count, 1, "\(disk.actions.count) actions")
            XCTAssertEqual(disk.warnings, [])
            let files = try disk.export(to: dir)
            try check(files[0], audio: "aac", duration: fixture.duration)
        }
    }

    func testSessionPlanRecordsMP3ToFLVAndMP4() throws {
        let fixture = try MediaTools.fixture(audio: .mp3)
        let dir = try MediaTools.temporaryDirectory("dvr-mp3")
        defer { try? FileManager.default.removeItem(at: dir) }
        for path in ["./objs/[app]/[stream].flv", "./objs/[app]/[stream].mp4"] {
            let disk = record(fixture.tags, DVRConfig(path: path))
            XCTAssertEqual(disk.notified, [path.replacingOccurrences(of: "[app]/[stream]", with: "live/s")])
            XCTAssertEqual(disk.warnings, [])
            try check(try disk.export(to: dir)[0], audio: "mp3", duration: fixture.duration)
        }
    }

    /// The segment plan on real media: files cut at keyframes once they pass dvr_duration, each
    /// playable on its own, together as long as the stream.
    func testSegmentPlanFilesEachStartAtAKeyframeAndDecode() throws {
        let fixture = try MediaTools.fixture(audio: .aac)
        guard let ffprobe = MediaTools.which("ffprobe") else { throw XCTSkip("ffprobe not installed") }
        let dir = try MediaTools.temporaryDirectory("dvr-segment")
        defer { try? FileManager.default.removeItem(at: dir) }
        for path in ["./[app]/[stream].[timestamp].flv", "./[app]/[stream].[timestamp].mp4"] {
            // Keyframes every second: a file reaches 1 s just after one, so it is cut at the next.
            let disk = record(fixture.tags, DVRConfig(plan: .segment, path: path, durationSeconds: 1))
            XCTAssertEqual(disk.notified.count, 2, path)
            var total = 0.0
            for file in try disk.export(to: dir) {
                XCTAssertEqual(try MediaTools.decodeErrors(file), "", file)
                let probe = try MediaTools.probe(file)
                XCTAssertNotNil(probe.stream("h264"), file)
                XCTAssertNotNil(probe.stream("aac"), file)
                total += probe.duration
                let (_, flags) = try MediaTools.run(ffprobe, ["-v", "error", "-select_streams", "v", "-show_entries", "packet=flags",
                                                              "-read_intervals", "%+#1", "-of", "csv=p=0", file])
                XCTAssertTrue(flags.hasPrefix("K"), "\(file) starts with a keyframe: \(flags)")
            }
            XCTAssertEqual(total, fixture.duration, accuracy: 0.15, path)
        }
    }

    /// Headless Chromium opens our MP4s (H.264 with AAC, and with MP3) in a <video> element and
    /// reaches HAVE_CURRENT_DATA (readyState 2) or better, with the right size and duration.
    func testChromiumPlaysTheMP4() throws {
        guard let chromium = MediaTools.which("chromium") ?? MediaTools.which("chromium-browser") else {
            throw XCTSkip("chromium not installed")
        }
        let dir = try MediaTools.temporaryDirectory("dvr-chromium")
        defer { try? FileManager.default.removeItem(at: dir) }
        // One page, one video element per file, one line per element once it has data.
        let page = """
            <!doctype html><html><body><pre id="out"></pre><script>
            const out = document.getElementById('out');
            for (const name of location.hash.slice(1).split(',')) {
                const v = document.createElement('video');
                v.muted = true;
                const report = () => { out.textContent += `${name} readyState=${v.readyState} error=${v.error ? v.error.code : 0} `
                    + `size=${v.videoWidth}x${v.videoHeight} duration=${v.duration}\\n`; };
                v.addEventListener('loadeddata', report);
                v.addEventListener('error', report);
                v.src = name;
                document.body.appendChild(v);
            }
            </script></body></html>
            """
        try Data(page.utf8).write(to: dir.appendingPathComponent("page.html"))
        var durations: [String: Double] = [:]
        for audio in [MediaTools.FixtureAudio.aac, .mp3] {
            let fixture = try MediaTools.fixture(audio: audio)
            let disk = record(fixture.tags, DVRConfig(path: "./[stream].mp4"))
            try Data(disk.files["./s.mp4"] ?? []).write(to: dir.appendingPathComponent("\(audio).mp4"))
            durations["\(audio).mp4"] = fixture.duration
        }
        let (status, dom) = try MediaTools.run(chromium, ["--headless=new", "--no-sandbox", "--disable-gpu",
                                                          "--user-data-dir=\(dir.appendingPathComponent("profile").path)",
                                                          "--virtual-time-budget=5000", "--dump-dom",
                                                          "file://\(dir.path)/page.html#aac.mp4,mp3.mp4"], timeout: 60)
        XCTAssertEqual(status, 0, dom)
        for (name, expected) in durations {
            let line = dom.split(separator: "\n").first { $0.contains("\(name) readyState=") }.map(String.init) ?? dom
            let readyState = line.split(separator: "readyState=").last.flatMap { Int($0.prefix(1)) } ?? 0
            XCTAssertGreaterThanOrEqual(readyState, 2, line)
            XCTAssertTrue(line.contains("error=0 size=320x240"), line)
            let duration = line.split(separator: "duration=").last.flatMap { Double($0.prefix { $0 != "<" && $0 != "\n" }) } ?? 0
            XCTAssertEqual(duration, expected, accuracy: 0.1, line)
        }
    }
}
