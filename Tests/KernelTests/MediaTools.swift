import Foundation
import XCTest
@testable import Kernel

/// ffmpeg, ffprobe and chromium for the tests that check our files with real tools, and the
/// ffmpeg-made FLV fixtures they start from (made once per test run, in a temporary directory).
enum MediaTools {
    static func which(_ name: String) -> String? {
        ["/usr/bin", "/usr/local/bin", "/bin", "/opt/homebrew/bin"].map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a tool to completion (killed after `timeout` seconds); returns its status and its
    /// standard output and error, merged.
    static func run(_ path: String, _ args: [String], timeout: TimeInterval = 60) throws -> (status: Int32, output: String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-tool-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("\(path) timed out")
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }

    /// A fresh temporary directory, removed by the caller.
    static func temporaryDirectory(_ prefix: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The audio codec of a fixture.
    enum FixtureAudio: String {
        case aac, mp3
    }

    /// An FLV made by ffmpeg: its tags, and the duration ffprobe gives it.
    struct Fixture {
        var tags: [FLVTag]
        var duration: Double
    }

    nonisolated(unsafe) private static var fixtures: [String: Fixture] = [:]
    private static let fixtureLock = NSLock()

    /// The tags of a 3-second 320×240 25 fps H.264 (B-frames, a keyframe every second) FLV
    /// with 44.1 kHz mono AAC or MP3, made by ffmpeg; skips the test when ffmpeg cannot.
    static func fixture(audio: FixtureAudio, seconds: Int = 3) throws -> Fixture {
        fixtureLock.lock()
        defer { fixtureLock.unlock() }
        let key = "\(audio.rawValue)-\(seconds)"
        if let fixture = fixtures[key] { return fixture }
        guard let ffmpeg = which("ffmpeg") else { throw XCTSkip("ffmpeg not installed") }
        let dir = try temporaryDirectory("kernel-fixture")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("in.flv").path
        let (status, log) = try run(ffmpeg, ["-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                                             "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", String(seconds),
                                             "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25",
                                             "-c:a", audio == .aac ? "aac" : "libmp3lame", "-b:a", "64k", "-f", "flv", path])
        guard status == 0 else { throw XCTSkip("ffmpeg cannot make the \(audio) fixture: \(log)") }
        var reader = try FLVTagReader(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        var tags: [FLVTag] = []
        while let tag = try reader.next() { tags.append(tag) }
        let fixture = Fixture(tags: tags, duration: try probe(path).duration)
        fixtures[key] = fixture
        return fixture
    }

    /// ffprobe's view of a file: format duration, and per stream its codec and fields.
    struct Probe {
        var duration: Double
        var streams: [[String: String]]

        func stream(_ codec: String) -> [String: String]? { streams.first { $0["codec_name"] == codec } }
    }

    static func probe(_ path: String) throws -> Probe {
        guard let ffprobe = which("ffprobe") else { throw XCTSkip("ffprobe not installed") }
        let (status, output) = try run(ffprobe, ["-v", "error", "-show_entries",
                                                 "format=duration:stream=codec_name,codec_type,width,height,sample_rate,channels,nb_frames,start_time,duration",
                                                 "-of", "default=nw=0", path])
        XCTAssertEqual(status, 0, output)
        var probe = Probe(duration: 0, streams: [])
        var current: [String: String]?
        for line in output.split(whereSeparator: \.isNewline) {
            switch line {
            case "[STREAM]": current = [:]
            case "[/STREAM]":
                if let current { probe.streams.append(current) }
                current = nil
            default:
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { continue }
                if current != nil {
                    current?[parts[0]] = parts[1]
                } else if parts[0] == "duration" {
                    probe.duration = Double(parts[1]) ?? 0
                }
            }
        }
        return probe
    }

    /// What `ffmpeg -v error -i path -f null -` prints: empty when every packet decodes. At
    /// level `warning`, MPEG-TS continuity errors show too.
    static func decodeErrors(_ path: String, level: String = "error") throws -> String {
        guard let ffmpeg = which("ffmpeg") else { throw XCTSkip("ffmpeg not installed") }
        let (status, output) = try run(ffmpeg, ["-v", level, "-i", path, "-f", "null", "-"])
        let trimmed = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return status == 0 ? trimmed : "exit \(status): \(trimmed)"
    }
}
