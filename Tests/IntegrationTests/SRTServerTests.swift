import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SRT through the real `srs` (issue 20): ffmpeg publishes MPEG-TS over SRT, players get it over
/// RTMP, HTTP-FLV, HLS and SRT; an RTMP publish plays over SRT; two workers each read their own
/// slot socket; reload turns SRT off; SIGQUIT quits with SRT clients.
final class SRTServerTests: XCTestCase {
    /// `{SRT}` is the UDP port.
    static func config(srt: Bool = true, workers: Int = 1, extra: String = "") -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        worker_processes \(workers);
        grace_start_wait 100;
        grace_final_wait 100;
        http_api { enabled on; listen {API}; }
        http_server { enabled on; listen {HTTP}; dir ./html; }
        srt_server { enabled \(srt ? "on" : "off"); listen {SRT}; }
        \(extra)
        vhost __defaultVhost__ {
            srt { enabled on; srt_to_rtmp on; }
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
            hls { enabled on; hls_fragment 1; hls_window 6; hls_path ./html; }
        }
        """
    }

    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg not installed")
        let (_, protocols) = try Tool.run("ffmpeg", ["-hide_banner", "-protocols"], timeout: 10)
        try XCTSkipUnless(protocols.contains("srt"), "ffmpeg without libsrt")
    }

    /// Starts srs with an SRT port of its own (`{SRT}` in the config).
    func start(_ config: String) throws -> (SRSProcess, Int) {
        let port = FreePort.next()
        let srs = try SRSProcess(config: config.replacingOccurrences(of: "{SRT}", with: "\(port)"))
        try srs.waitListening()
        return (srs, port)
    }

    static func srtURL(_ port: Int, _ streamID: String) -> String {
        // ffmpeg's srt timeouts are in microseconds.
        "srt://127.0.0.1:\(port)?streamid=\(streamID)&connect_timeout=3000000&timeout=5000000"
    }

    /// ffmpeg publishing testsrc + sine as MPEG-TS over SRT, in real time.
    static func publishSRT(port: Int, stream: String, seconds: Int = 30) throws -> Tool {
        try Tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-re",
                            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                            "-t", "\(seconds)",
                            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25",
                            "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
                            "-f", "mpegts", srtURL(port, "#!::r=live/\(stream),m=publish")])
    }

    /// ffprobe of an SRT play (`m=request`): the codecs it found.
    static func probeSRT(port: Int, stream: String) throws -> Set<String> {
        let (status, out) = try Tool.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", "-of", "json",
                                                     srtURL(port, "#!::r=live/\(stream),m=request")], timeout: 20)
        guard status == 0, let data = out.data(using: .utf8),
              let json = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestError("ffprobe over SRT failed (\(String(describing: status))): \(out)")
        }
        return FFmpeg.codecs(json)
    }

    /// True when nobody holds the UDP port (a bind without SO_REUSEPORT succeeds).
    static func udpPortFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = INADDR_ANY
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    func testSRTPublishPlaysOverRTMPHTTPFLVHLSAndSRT() throws {
        let (srs, port) = try start(Self.config())
        defer { srs.stop() }
        XCTAssertFalse(Self.udpPortFree(port), "the master binds the SRT port")
        let t0 = Date()
        let pub = try Self.publishSRT(port: port, stream: "s")
        defer { pub.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/s", timeout: 10)
        let published = Date()
        let rtmp = try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/s")
        let played = Date()
        XCTAssertEqual(FFmpeg.codecs(rtmp), ["h264", "aac"])
        print("SRT publish: accepted \(Int(published.timeIntervalSince(t0) * 1000)) ms after ffmpeg started; "
              + "RTMP ffprobe done \(Int(played.timeIntervalSince(published) * 1000)) ms after that")
        XCTAssertTrue(srs.log.contains("@srt, streamid=#!::r=live/s,m=publish, stream_url=/live/s"), srs.log)

        let flv = try FFmpeg.probe("http://127.0.0.1:\(srs.httpPort)/live/s.flv")
        XCTAssertEqual(FFmpeg.codecs(flv), ["h264", "aac"])
        XCTAssertEqual(try Self.probeSRT(port: port, stream: "s"), ["h264", "aac"])

        let m3u8 = srs.dir.appendingPathComponent("html/live/s.m3u8").path
        try Deadline.require("an HLS segment", timeout: 10, every: 0.1) {
            ((try? String(contentsOfFile: m3u8, encoding: .utf8)) ?? "").contains(".ts")
        }
        let hls = try FFmpeg.probe("http://127.0.0.1:\(srs.httpPort)/live/s.m3u8")
        XCTAssertEqual(FFmpeg.codecs(hls), ["h264", "aac"])

        // The API lists the SRT publisher with SRS's type.
        let clients = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/clients/")["clients"] as? [[String: Any]] ?? []
        XCTAssertTrue(clients.contains { $0["type"] as? String == "srt-publish" && $0["publish"] as? Bool == true }, "\(clients)")
    }

    func testRTMPPublishPlaysOverSRT() throws {
        let (srs, port) = try start(Self.config())
        defer { srs.stop() }
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/r")
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        XCTAssertEqual(try Self.probeSRT(port: port, stream: "r"), ["h264", "aac"])
        try srs.waitForLog("srt client", timeout: 5)
        XCTAssertTrue(srs.log.contains("SRT start play stream __defaultVhost__/live/r"), srs.log)
    }

    /// A stream id the server refuses is refused in the handshake (ffmpeg sees a rejection);
    /// a vhost without `srt { enabled on; }` closes the client.
    func testRefusals() throws {
        let (srs, port) = try start(Self.config().replacingOccurrences(of: "srt { enabled on; srt_to_rtmp on; }", with: ""))
        defer { srs.stop() }
        let (status, out) = try Tool.run("ffprobe", ["-v", "error", Self.srtURL(port, "#!::r=live/x,m=publishh")], timeout: 10)
        XCTAssertNotEqual(status, 0, out)
        let (status2, _) = try Tool.run("ffprobe", ["-v", "error", Self.srtURL(port, "#!::r=live/x,m=request")], timeout: 15)
        XCTAssertNotEqual(status2, 0)
        try srs.waitForLog("srt disabled", timeout: 5)
    }

    /// Two workers, each on its own slot socket: publishers and players land on either, and a
    /// player on the other worker gets the stream through the relay.
    func testTwoWorkersServeSRTPublishersAndPlayers() throws {
        let (srs, port) = try start(Self.config(workers: 2))
        defer { srs.stop() }
        try srs.waitForLog("SRT listen at udp://", count: 2, timeout: 10)
        var pubs: [Tool] = []
        defer { for p in pubs { p.stop() } }
        for i in 0..<4 { pubs.append(try Self.publishSRT(port: port, stream: "w\(i)")) }
        try srs.waitForLog("SRT start publish stream", count: 4, timeout: 15)
        // [time][Trace][pid][cid] message: which workers took the publishers.
        let workers = Set(srs.log.split(separator: "\n").filter { $0.contains("SRT start publish stream") }
            .compactMap { $0.split(separator: "]", maxSplits: 3).dropFirst(2).first })
        print("SRT publishers on \(workers.count) worker(s)")
        for i in 0..<4 {
            XCTAssertEqual(try Self.probeSRT(port: port, stream: "w\(i)"), ["h264", "aac"], "w\(i)")
            XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/w\(i)")), ["h264", "aac"])
        }
        for p in pubs { XCTAssertTrue(p.isRunning, p.output) }
    }

    func testReloadDisablingSRTClosesThePort() throws {
        let (srs, port) = try start(Self.config())
        defer { srs.stop() }
        try srs.waitForLog("SRT listen at udp://", timeout: 5)
        XCTAssertFalse(Self.udpPortFree(port))
        try srs.rewriteConfig(Self.config(srt: false).replacingOccurrences(of: "{SRT}", with: "\(port)"))
        srs.signal(SIGHUP)
        try srs.waitForLog("reload config success", timeout: 5)
        try Deadline.require("the SRT port released", timeout: 5, every: 0.05) { Self.udpPortFree(port) }
        // And on again, on another port.
        let port2 = FreePort.next()
        try srs.rewriteConfig(Self.config().replacingOccurrences(of: "{SRT}", with: "\(port2)"))
        srs.signal(SIGHUP)
        try srs.waitForLog("reload config success", count: 2, timeout: 5)
        try srs.waitForLog("SRT listen at udp://0.0.0.0:\(port2)", timeout: 5)
        let pub = try Self.publishSRT(port: port2, stream: "again", seconds: 10)
        defer { pub.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/again", timeout: 10)
    }

    func testSIGQUITWithAnSRTPublisherQuitsCleanly() throws {
        let (srs, port) = try start(Self.config())
        defer { srs.stop() }
        let pub = try Self.publishSRT(port: port, stream: "q", seconds: 3)
        defer { pub.stop() }
        try srs.waitForLog("SRT start publish stream", timeout: 10)
        srs.signal(SIGQUIT)
        // The publisher drains (ends after its 3 s), then the server quits.
        XCTAssertEqual(srs.waitExit(timeout: 15), 0, srs.log)
        XCTAssertTrue(srs.log.contains("srs gracefully quit"), srs.log)
        XCTAssertTrue(srs.log.contains("srt client"), srs.log)
        XCTAssertTrue(Self.udpPortFree(port))
    }
}
