import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// HLS written to disk by the real `srs`, checked with ffprobe, served by us and by nginx.
final class HLSIntegrationTests: XCTestCase {
    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_server { enabled on; listen {HTTP}; dir ./html; }
        vhost __defaultVhost__ {
            hls {
                enabled on;
                hls_fragment 2;
                hls_window 8;
                hls_path ./html;
                hls_dispose 3;
            }
        }
        """

    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg not installed")
    }

    func segments(_ playlist: String) -> [(uri: String, duration: Double)] {
        var out: [(String, Double)] = []
        var d = 0.0
        for line in playlist.split(separator: "\n") {
            if line.hasPrefix("#EXTINF:") {
                d = Double(line.dropFirst(8).split(separator: ",")[0]) ?? 0
            } else if !line.hasPrefix("#") {
                out.append((String(line), d))
            }
        }
        return out
    }


    func testSegmentsPlaylistWindowAndDispose() throws {
        let srs = try SRSProcess(config: Self.config)
        defer { srs.stop() }
        try srs.waitListening()
        let m3u8 = srs.dir.appendingPathComponent("html/live/hls.m3u8").path
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/hls", seconds: 16, gop: 25)
        defer { pub.stop() }
        try Deadline.require("3 segments", timeout: 20, every: 0.1) {
            segments((try? String(contentsOfFile: m3u8, encoding: .utf8)) ?? "").count >= 3
        }
        let playlist = try String(contentsOfFile: m3u8, encoding: .utf8)
        XCTAssertTrue(playlist.hasPrefix("#EXTM3U"), playlist)
        XCTAssertTrue(playlist.contains("#EXT-X-TARGETDURATION:"), playlist)
        for seg in segments(playlist) {
            XCTAssertEqual(seg.duration, 2.0, accuracy: 0.6, playlist)
            let path = srs.dir.appendingPathComponent("html/live/\(seg.uri)").path
            let probe = try FFmpeg.probe(path)
            XCTAssertEqual(FFmpeg.codecs(probe), ["h264", "aac"], seg.uri)
        }
        // Served over HTTP by us with the HLS MIME type.
        try srs.waitListening(srs.httpPort)
        let reply = try HTTPClient.get(srs.httpPort, "/live/hls.m3u8")
        XCTAssertEqual(reply.status, 200)
        XCTAssertEqual(reply.headers["content-type"], "application/vnd.apple.mpegurl")
        let (status, out) = try Tool.run("ffmpeg", ["-v", "error", "-i", "http://127.0.0.1:\(srs.httpPort)/live/hls.m3u8",
                                                    "-t", "3", "-f", "null", "-"], timeout: 30)
        XCTAssertEqual(status, 0, out)

        // The window keeps at most ~8 s: after 16 s of stream, old segments were removed from disk.
        XCTAssertNotNil(pub.wait(timeout: 30))
        try srs.waitForLog("unpublish stream", timeout: 10)
        let final = try String(contentsOfFile: m3u8, encoding: .utf8)
        let window = segments(final)
        XCTAssertLessThanOrEqual(window.reduce(0) { $0 + $1.duration }, 8 + 2.5, final)
        XCTAssertFalse(FileManager.default.fileExists(atPath: srs.dir.appendingPathComponent("html/live/hls-0.ts").path))
        // hls_dispose 3: the files go away 3 s after unpublish.
        try Deadline.require("dispose", timeout: 10, every: 0.1) { !FileManager.default.fileExists(atPath: m3u8) }
        let left = (try? FileManager.default.contentsOfDirectory(atPath: srs.dir.appendingPathComponent("html/live").path)) ?? []
        XCTAssertTrue(left.filter { $0.hasSuffix(".ts") }.isEmpty, "\(left)")
    }

    func testRepublishAddsDiscontinuity() throws {
        let srs = try SRSProcess(config: Self.config.replacingOccurrences(of: "hls_dispose 3;", with: "hls_dispose 60;"))
        defer { srs.stop() }
        try srs.waitListening()
        let m3u8 = srs.dir.appendingPathComponent("html/live/re.m3u8").path
        let url = "rtmp://127.0.0.1:\(srs.rtmpPort)/live/re"
        let first = try FFmpeg.publish(to: url, seconds: 5)
        XCTAssertNotNil(first.wait(timeout: 20))
        first.stop()
        try srs.waitForLog("unpublish stream", timeout: 10)
        let before = segments(try String(contentsOfFile: m3u8, encoding: .utf8)).count
        let second = try FFmpeg.publish(to: url, seconds: 6)
        defer { second.stop() }
        try Deadline.require("segments after republish", timeout: 20, every: 0.1) {
            segments((try? String(contentsOfFile: m3u8, encoding: .utf8)) ?? "").count > before
        }
        let text = try String(contentsOfFile: m3u8, encoding: .utf8)
        let lines = text.split(separator: "\n")
        // A discontinuity tag appears after the first session's segments.
        let firstURIIndex = lines.firstIndex { !$0.hasPrefix("#") } ?? 0
        XCTAssertTrue(lines[(firstURIIndex + 1)...].contains("#EXT-X-DISCONTINUITY"), text)
    }

    /// The seeds' shared-volume layout: nginx serves the HLS files SRS writes.
    func testNginxServesTheSameDirectory() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx"), "nginx not installed")
        let srs = try SRSProcess(config: Self.config)
        defer { srs.stop() }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/ng", seconds: 20)
        defer { pub.stop() }
        let html = srs.dir.appendingPathComponent("html").path
        try Deadline.require("playlist", timeout: 20, every: 0.1) {
            segments((try? String(contentsOfFile: html + "/live/ng.m3u8", encoding: .utf8)) ?? "").count >= 2
        }
        let nginx = try NginxProcess(root: html)
        defer { nginx.stop() }
        let (status, out) = try Tool.run("ffmpeg", ["-v", "error", "-i", "http://127.0.0.1:\(nginx.port)/live/ng.m3u8",
                                                    "-t", "3", "-f", "null", "-"], timeout: 30)
        XCTAssertEqual(status, 0, out)
    }
}

/// Debian's nginx serving a directory on a free loopback port, as our own process (not the service).
final class NginxProcess {
    let port = FreePort.next()
    let dir: URL
    let tool: Tool

    init(root: String) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("nginx-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("logs"), withIntermediateDirectories: true)
        let conf = """
            worker_processes 1;
            error_log \(dir.path)/logs/error.log;
            pid \(dir.path)/nginx.pid;
            events { worker_connections 64; }
            http {
                access_log off;
                types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }
                client_body_temp_path \(dir.path); proxy_temp_path \(dir.path); fastcgi_temp_path \(dir.path);
                uwsgi_temp_path \(dir.path); scgi_temp_path \(dir.path);
                server { listen 127.0.0.1:\(port); root \(root); }
            }
            """
        try conf.write(to: dir.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        tool = try Tool("/usr/sbin/nginx", ["-p", dir.path, "-c", dir.appendingPathComponent("nginx.conf").path, "-g", "daemon off;"])
        Deadline.wait(timeout: 10) { TCPProbe.canConnect(port: port) || !tool.isRunning }
        guard TCPProbe.canConnect(port: port) else { throw TestError("nginx did not start: \(tool.output)") }
    }

    func stop() {
        tool.stop()
        try? FileManager.default.removeItem(at: dir)
    }
}
