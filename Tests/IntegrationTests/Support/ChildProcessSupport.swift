import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Servers whose children can be found: the config's `{FFMPEG}` is a symlink to ffmpeg in the
/// server's own temp directory, so every ffmpeg it starts has that unique path in its argv
/// (`pgrep -f` style, without pgrep), and `{DIR}` is that directory.
enum ChildProcessSupport {
    /// Starts `srs` with `config` after making `{DIR}/ffmpeg` and `{DIR}/in.flv` (a short FLV,
    /// `seconds` long, 160x120, H.264 + AAC) when `input` is set.
    static func server(_ config: String, input seconds: Int? = nil, binary: String? = nil,
                       files: [String: String] = [:]) throws -> SRSProcess {
        try SRSProcess(config: config, layout: { dir, text in
            try FileManager.default.createSymbolicLink(atPath: dir.appendingPathComponent("ffmpeg").path,
                                                       withDestinationPath: Tool.which("ffmpeg"))
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("objs"), withIntermediateDirectories: true)
            for (name, body) in files {
                let path = dir.appendingPathComponent(name).path
                try body.replacingOccurrences(of: "{DIR}", with: dir.path).write(toFile: path, atomically: true, encoding: .utf8)
                chmod(path, 0o755)
            }
            if let seconds { try makeFLV(dir.appendingPathComponent("in.flv").path, seconds: seconds) }
            let rendered = text.replacingOccurrences(of: "{FFMPEG}", with: dir.appendingPathComponent("ffmpeg").path)
                .replacingOccurrences(of: "{DIR}", with: dir.path)
            try rendered.write(to: dir.appendingPathComponent("srs.conf"), atomically: true, encoding: .utf8)
            return "srs.conf"
        }, binary: binary)
    }

    /// Rewrites the server's config (for a reload), `{FFMPEG}` and `{DIR}` included.
    static func rewrite(_ srs: SRSProcess, _ config: String) throws {
        try srs.rewriteConfig(config.replacingOccurrences(of: "{FFMPEG}", with: srs.dir.appendingPathComponent("ffmpeg").path)
            .replacingOccurrences(of: "{DIR}", with: srs.dir.path))
    }

    /// A private copy of the binary (release 1.0.0), so a test can replace it on disk.
    static func privateBinary() throws -> (dir: URL, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srs-bin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("srs").path
        try BinaryStamp.copy(SRSBinary.path, to: path, version: "1.0.0")
        return (dir, path)
    }

    /// A small FLV with both tracks (keyframe every second).
    static func makeFLV(_ path: String, seconds: Int) throws {
        let (status, out) = try Tool.run("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y",
                                                    "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10",
                                                    "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                                                    "-t", "\(seconds)", "-c:v", "libx264", "-preset", "ultrafast", "-g", "10",
                                                    "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "32k", "-f", "flv", path], timeout: 60)
        guard status == 0 else { throw TestError("cannot make \(path): \(out)") }
    }

    /// Live processes (zombies included: one not reaped is a bug too) whose command line holds `needle`.
    static func processes(containing needle: String) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { $0 != getpid() && Processes.title(of: $0).contains(needle) }.sorted()
    }

    /// The ffmpegs a server started (found by their program's path in its directory).
    static func ffmpegs(of srs: SRSProcess) -> [Int32] { processes(containing: srs.dir.appendingPathComponent("ffmpeg").path) }

    /// Waits until the server's ffmpegs are exactly `count`; returns them.
    @discardableResult
    static func waitFFmpegs(_ srs: SRSProcess, count: Int, timeout: TimeInterval = 15) throws -> [Int32] {
        var last: [Int32] = []
        guard Deadline.wait(timeout: timeout, every: 0.05, {
            last = ffmpegs(of: srs)
            return last.count == count
        }) else {
            throw TestError("\(last.count) ffmpegs (\(last)) instead of \(count):\n\(srs.log)")
        }
        return last
    }

    /// Stops the server, then checks nothing it started is left: no ffmpeg of its directory, no
    /// child of its master or workers.
    static func stopAndCheckNoOrphans(_ srs: SRSProcess, file: StaticString = #filePath, line: UInt = #line) {
        let tree = [srs.pid] + Processes.children(of: srs.pid)
        let descendants = tree + tree.flatMap { Processes.children(of: $0) }
        let ffmpegPath = srs.dir.appendingPathComponent("ffmpeg").path
        srs.stop()
        let clean = Deadline.wait(timeout: 10, every: 0.05) {
            processes(containing: ffmpegPath).isEmpty && descendants.allSatisfy { !Processes.isAlive($0) }
        }
        XCTAssertTrue(clean, "left behind: \(processes(containing: ffmpegPath)) "
                      + "\(descendants.filter(Processes.isAlive).map { "\($0) \(Processes.title(of: $0))" })", file: file, line: line)
    }

    /// Gone or dead: not alive, or a zombie whose new parent (init, after its own died) has
    /// not reaped it yet.
    static func isDead(_ pid: Int32) -> Bool { !Processes.isAlive(pid) || Processes.stat(of: pid)?.state == "Z" }

    /// The API's `/api/v1/processes` list.
    static func processesAPI(_ srs: SRSProcess) throws -> [[String: Any]] {
        try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/processes")["processes"] as? [[String: Any]] ?? []
    }
}
