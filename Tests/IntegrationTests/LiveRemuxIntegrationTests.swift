import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The live remuxes besides HTTP-FLV against the real `srs` (issue 16): HTTP-TS, HTTP-AAC and
/// HTTP-MP3 mounts with SRS's content types, MP3 audio in HLS, and HTTP players that connect
/// before the publisher.
final class LiveRemuxIntegrationTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg/ffprobe not installed")
    }

    static func config(mount: String, remuxExtra: String = "", vhostExtra: String = "") -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_server { enabled on; listen {HTTP}; dir ./html; }
        vhost __defaultVhost__ {
            http_remux { enabled on; mount \(mount); \(remuxExtra) }
            \(vhostExtra)
        }
        """
    }

    static func start(_ config: String) throws -> SRSProcess {
        let srs = try SRSProcess(config: config)
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        return srs
    }

    /// ffmpeg publishing testsrc + sine, the audio in `audioCodec` (aac or libmp3lame).
    static func publish(_ srs: SRSProcess, _ stream: String, seconds: Int, audioCodec: String = "aac") throws -> Tool {
        try Tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-re",
                            "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100",
                            "-t", "\(seconds)",
                            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25",
                            "-pix_fmt", "yuv420p", "-c:a", audioCodec, "-b:a", "64k",
                            "-f", "flv", "rtmp://127.0.0.1:\(srs.rtmpPort)/live/\(stream)"])
    }

    /// The status, headers (lower-cased names) and the first `bodyBytes` of the body (de-chunked)
    /// of a GET of a live stream; the connection is closed after that.
    static func head(port: Int, path: String, bodyBytes: Int, timeout: TimeInterval = 10) throws -> (status: Int, headers: [String: String], body: [UInt8]) {
        let fd = try RawClient.connect(port: port)
        defer { close(fd) }
        RawClient.send(fd, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8))
        var raw: [UInt8] = []
        let deadline = Deadline(seconds: timeout)
        var buf = [UInt8](repeating: 0, count: 65536)
        while !deadline.hasPassed {
            if let end = HTTPClient.find(raw, Array("\r\n\r\n".utf8)), HTTPClient.dechunk(Array(raw[(end + 4)...])).count >= bodyBytes {
                break
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            raw += buf[0..<n]
        }
        guard let end = HTTPClient.find(raw, Array("\r\n\r\n".utf8)) else { throw TestError("no response head: \(raw.count) bytes") }
        let lines = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let status = lines.first.flatMap { $0.split(separator: " ").dropFirst().first }.flatMap { Int($0) } ?? 0
        var headers: [String: String] = [:]
        for l in lines.dropFirst() {
            guard let colon = l.firstIndex(of: ":") else { continue }
            headers[l[..<colon].lowercased()] = l[l.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return (status, headers, HTTPClient.dechunk(Array(raw[(end + 4)...])))
    }

    /// The codecs ffprobe finds in a live URL, analysing 1.5 s (its default 5 s makes a TS probe slow).
    static func codecs(_ url: String) throws -> Set<String> {
        let (status, out) = try Tool.run("ffprobe", ["-v", "error", "-rw_timeout", "8000000", "-analyzeduration", "1500000",
                                                     "-show_entries", "stream=codec_name", "-of", "csv=p=0", url], timeout: 15)
        guard status == 0 else { throw TestError("ffprobe \(url): \(String(describing: status)) \(out)") }
        return Set(out.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    /// `ffmpeg -v error` reading `seconds` of `url`: its errors (none expected).
    static func decodeErrors(_ url: String, seconds: Int = 2) throws -> String {
        let (status, out) = try Tool.run("ffmpeg", ["-v", "error", "-rw_timeout", "8000000", "-i", url, "-t", "\(seconds)",
                                                    "-f", "null", "-"], timeout: 20)
        return status == 0 ? out.trimmingCharacters(in: .whitespacesAndNewlines) : "exit \(String(describing: status)): \(out)"
    }

    /// HTTP-TS: video/MP2T, H.264 + AAC, and a player that joins mid-GOP starts at a keyframe with
    /// the tables: the first packets are PAT and PMT, and ffmpeg decodes without an error.
    func testHTTPTSPlaysFromAKeyframe() throws {
        let srs = try Self.start(Self.config(mount: "[vhost]/[app]/[stream].ts"))
        defer { srs.stop() }
        let pub = try Self.publish(srs, "ts", seconds: 20)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        Thread.sleep(forTimeInterval: 1.5)
        let url = "http://127.0.0.1:\(srs.httpPort)/live/ts.ts"
        XCTAssertEqual(try Self.codecs(url), ["h264", "aac"])
        for _ in 0..<3 {
            // Joins at various points of the GOP (a keyframe every second).
            Thread.sleep(forTimeInterval: 0.3)
            let r = try Self.head(port: srs.httpPort, path: "/live/ts.ts", bodyBytes: 376)
            XCTAssertEqual(r.status, 200)
            XCTAssertEqual(r.headers["content-type"], "video/MP2T")
            guard r.body.count >= 376 else {
                XCTFail("\(r.body.count) bytes of TS")
                continue
            }
            // Sync byte, payload_unit_start, PID 0: the PAT first.
            XCTAssertEqual(Array(r.body.prefix(3)), [0x47, 0x40, 0x00], "PAT first")
            XCTAssertEqual(r.body[188], 0x47)
            XCTAssertEqual(Int(r.body[189] & 0x1F) << 8 | Int(r.body[190]), 0x1001, "PMT second")
        }
        XCTAssertEqual(try Self.decodeErrors(url), "")
    }

    func testHTTPAACServesADTS() throws {
        let srs = try Self.start(Self.config(mount: "[vhost]/[app]/[stream].aac"))
        defer { srs.stop() }
        let pub = try Self.publish(srs, "radio", seconds: 20)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let url = "http://127.0.0.1:\(srs.httpPort)/live/radio.aac"
        XCTAssertEqual(try Self.codecs(url), ["aac"])
        let r = try Self.head(port: srs.httpPort, path: "/live/radio.aac", bodyBytes: 2)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "audio/x-aac")
        XCTAssertEqual(r.body.first, 0xFF, "ADTS sync word first")
        XCTAssertEqual(try Self.decodeErrors(url), "")
    }

    func testHTTPMP3ServesID3ThenFrames() throws {
        let srs = try Self.start(Self.config(mount: "[vhost]/[app]/[stream].mp3"))
        defer { srs.stop() }
        let pub = try Self.publish(srs, "radio", seconds: 20, audioCodec: "libmp3lame")
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let url = "http://127.0.0.1:\(srs.httpPort)/live/radio.mp3"
        XCTAssertEqual(try Self.codecs(url), ["mp3"])
        let r = try Self.head(port: srs.httpPort, path: "/live/radio.mp3", bodyBytes: 22)
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.headers["content-type"], "audio/mpeg")
        XCTAssertEqual(Array(r.body.prefix(3)), Array("ID3".utf8))
        XCTAssertEqual(r.body.dropFirst(20).first, 0xFF, "an MP3 frame after the 20-byte ID3 tag")
        XCTAssertEqual(try Self.decodeErrors(url), "")
    }

    /// A publisher with MP3 audio: the HLS segments carry H.264 + MP3.
    func testMP3PublisherGivesHLSWithMP3() throws {
        let srs = try Self.start(Self.config(mount: "[vhost]/[app]/[stream].flv", vhostExtra: """
            hls { enabled on; hls_fragment 1; hls_window 10; hls_path ./html; }
            """))
        defer { srs.stop() }
        let pub = try Self.publish(srs, "mp3", seconds: 6, audioCodec: "libmp3lame")
        defer { pub.stop() }
        XCTAssertEqual(pub.wait(timeout: 30), 0, pub.output + srs.log)
        try srs.waitForLog("unpublish stream", timeout: 10)
        let m3u8 = srs.dir.appendingPathComponent("html/live/mp3.m3u8").path
        let playlist = try String(contentsOfFile: m3u8, encoding: .utf8)
        let uris = playlist.split(separator: "\n").filter { !$0.hasPrefix("#") }
        XCTAssertGreaterThanOrEqual(uris.count, 3, playlist)
        for uri in uris {
            let seg = srs.dir.appendingPathComponent("html/live/\(uri)").path
            XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe(seg)), ["h264", "mp3"], String(uri))
            // Each segment decodes on its own, without an error (the playlist is live: ffmpeg
            // would wait for more).
            let (status, out) = try Tool.run("ffmpeg", ["-v", "error", "-i", seg, "-f", "null", "-"], timeout: 30)
            XCTAssertEqual(status, 0)
            XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "", "decode errors in \(uri)")
        }
        XCTAssertFalse(srs.log.contains("neither AAC nor MP3"))
    }

    /// Players that connect before the publisher (flv.js style) wait for it and get the stream:
    /// HTTP-FLV and HTTP-TS. One that waits past publish_wait_timeout gets SRS's 404.
    func testPlayersBeforeThePublisherGetTheStream() throws {
        for ext in ["flv", "ts"] {
            let srs = try Self.start(Self.config(mount: "[vhost]/[app]/[stream].\(ext)", remuxExtra: "publish_wait_timeout 6000;"))
            defer { srs.stop() }
            let url = "http://127.0.0.1:\(srs.httpPort)/live/early.\(ext)"
            let early = try Tool("ffprobe", ["-v", "error", "-rw_timeout", "15000000", "-show_entries", "stream=codec_name",
                                             "-of", "csv=p=0", url])
            defer { early.stop() }
            try srs.waitForLog("is not published, wait up to 6000ms", timeout: 5)
            Thread.sleep(forTimeInterval: 1)
            XCTAssertTrue(early.isRunning, "the player waits")
            let pub = try Self.publish(srs, "early", seconds: 10)
            defer { pub.stop() }
            XCTAssertEqual(early.wait(timeout: 15), 0, early.output)
            XCTAssertEqual(Set(early.output.split(separator: "\n").map(String.init)), ["h264", "aac"], ext)
            XCTAssertTrue(srs.log.contains("early published, start the response"), srs.log)
        }
    }

    /// With 2 workers, early players land on both: those on the worker without the publisher
    /// get the stream through the relay from the one that has it.
    func testEarlyPlayersOnEveryWorkerGetTheStream() throws {
        let srs = try Self.start("worker_processes 2;\n" + Self.config(mount: "[vhost]/[app]/[stream].flv"))
        defer { srs.stop() }
        let url = "http://127.0.0.1:\(srs.httpPort)/live/both.flv"
        let players = try (0..<4).map { _ in
            try Tool("ffprobe", ["-v", "error", "-rw_timeout", "15000000", "-show_entries", "stream=codec_name", "-of", "csv=p=0", url])
        }
        defer { players.forEach { $0.stop() } }
        try srs.waitForLog("is not published, wait up to 30000ms", count: 4, timeout: 5)
        let pub = try Self.publish(srs, "both", seconds: 10)
        defer { pub.stop() }
        for p in players {
            XCTAssertEqual(p.wait(timeout: 15), 0, p.output)
            XCTAssertEqual(Set(p.output.split(separator: "\n").map(String.init)), ["h264", "aac"])
        }
        let pids = Set(srs.log.components(separatedBy: "\n").filter { $0.contains("is not published, wait up to") }
            .compactMap { $0.split(separator: "]").dropFirst(2).first })
        print("early players waited on \(pids.count) worker(s)")
    }

    func testWaitForThePublisherIsBounded() throws {
        let srs = try Self.start(Self.config(mount: "[vhost]/[app]/[stream].flv", remuxExtra: "publish_wait_timeout 1000;"))
        defer { srs.stop() }
        let started = Date()
        let r = try HTTPClient.get(srs.httpPort, "/live/never.flv")
        let waited = Date().timeIntervalSince(started)
        XCTAssertEqual(r.status, 404)
        XCTAssertEqual(waited, 1.0, accuracy: 0.5, "answered when publish_wait_timeout passed")
        print("HTTP-FLV of an unpublished stream: 404 after \(waited)s (publish_wait_timeout 1000)")
        // HEAD does not wait.
        XCTAssertEqual(try HTTPClient.request("HEAD", port: srs.httpPort, path: "/live/never.flv").status, 404)
        XCTAssertTrue(srs.process.isRunning)
    }
}
