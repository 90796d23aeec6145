import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// HTTP-FLV, the HTTP API, static files and hostile requests against the real `srs`.
final class HTTPIntegrationTests: XCTestCase {
    /// The repo's html/ folder (served as http_server.dir).
    static var htmlDir: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("html").path
    }

    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_api { enabled on; listen {API}; }
        http_server { enabled on; listen {HTTP}; dir \(htmlDir); }
        vhost __defaultVhost__ {
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; publish_wait_timeout 300; }
        }
        """

    func start() throws -> SRSProcess {
        let srs = try SRSProcess(config: Self.config)
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        try srs.waitListening(srs.apiPort)
        return srs
    }

    func testHTTPFLVPlaysWithFFprobe() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let srs = try start()
        defer { srs.stop() }
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/flv", seconds: 20)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let probe = try FFmpeg.probe("http://127.0.0.1:\(srs.httpPort)/live/flv.flv")
        XCTAssertEqual(FFmpeg.codecs(probe), ["h264", "aac"])
        let tags = (probe["format"] as? [String: Any])?["tags"] as? [String: Any] ?? [:]
        XCTAssertEqual(tags["server_version"] as? String, "1.0.0")
        // Three players at once share the source.
        let players = try (0..<3).map { _ in
            try Tool("ffmpeg", ["-v", "error", "-i", "http://127.0.0.1:\(srs.httpPort)/live/flv.flv", "-t", "2", "-f", "null", "-"])
        }
        for p in players { XCTAssertEqual(p.wait(timeout: 20), 0, p.output); p.stop() }
        // An unpublished stream is 404 (once publish_wait_timeout has passed).
        XCTAssertEqual(try HTTPClient.get(srs.httpPort, "/live/none.flv").status, 404)
    }

    func testAPIShowsRealStreamAndClients() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let srs = try start()
        defer { srs.stop() }
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/api", seconds: 30, size: "640x360")
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let player = try Tool("ffmpeg", ["-v", "error", "-i", "rtmp://127.0.0.1:\(srs.rtmpPort)/live/api", "-t", "20", "-f", "null", "-"])
        defer { player.stop() }
        // The player plays, and the stream's rates have two samples (they are taken every second).
        func stream() -> [String: Any]? {
            let streams = try? HTTPClient.get(srs.apiPort, "/api/v1/streams/").json()["streams"] as? [[String: Any]]
            return streams?.first { $0["url"] as? String == "/live/api" }
        }
        try Deadline.require("player and rates in /api/v1/streams/", timeout: 10, every: 0.2) {
            guard let s = stream() else { return false }
            return s["clients"] as? Int == 2 && ((s["kbps"] as? [String: Any])?["recv_30s"] as? Int ?? 0) > 0
        }

        let versions = try HTTPClient.get(srs.apiPort, "/api/v1/versions").json()
        XCTAssertEqual(versions["code"] as? Int, 0)
        XCTAssertEqual((versions["data"] as? [String: Any])?["version"] as? String, "1.0.0")
        XCTAssertEqual(versions["pid"] as? String, "\(srs.pid)")
        XCTAssertNotNil(versions["server"] as? String)

        let redirect = try HTTPClient.get(srs.apiPort, "/api/v1/streams")
        XCTAssertEqual(redirect.status, 302)
        XCTAssertEqual(redirect.headers["location"], "/api/v1/streams/")

        let streams = try HTTPClient.get(srs.apiPort, "/api/v1/streams/").json()
        let list = try XCTUnwrap(streams["streams"] as? [[String: Any]])
        let s = try XCTUnwrap(list.first { $0["url"] as? String == "/live/api" }, "\(streams)")
        XCTAssertEqual((s["publish"] as? [String: Any])?["active"] as? Bool, true)
        XCTAssertEqual(s["clients"] as? Int, 2)
        let video = try XCTUnwrap(s["video"] as? [String: Any], "\(s)")
        XCTAssertEqual(video["codec"] as? String, "H264")
        XCTAssertEqual(video["width"] as? Int, 640)
        XCTAssertEqual(video["height"] as? Int, 360)
        let audio = try XCTUnwrap(s["audio"] as? [String: Any])
        XCTAssertEqual(audio["codec"] as? String, "AAC")
        XCTAssertEqual(audio["sample_rate"] as? Int, 44100)
        XCTAssertGreaterThan((s["recv_bytes"] as? Int) ?? 0, 10_000)
        XCTAssertGreaterThan(((s["kbps"] as? [String: Any])?["recv_30s"] as? Int) ?? 0, 0)

        let one = try HTTPClient.get(srs.apiPort, "/api/v1/streams/\(s["id"] as! String)").json()
        XCTAssertEqual((one["stream"] as? [String: Any])?["name"] as? String, "api")
        XCTAssertEqual(try HTTPClient.get(srs.apiPort, "/api/v1/streams/nope").json()["code"] as? Int, 2048)

        let clients = try XCTUnwrap(try HTTPClient.get(srs.apiPort, "/api/v1/clients/").json()["clients"] as? [[String: Any]])
        let types = Set(clients.compactMap { $0["type"] as? String })
        XCTAssertEqual(types, ["fmle-publish", "rtmp-play"], "\(clients)")
        let publisher = try XCTUnwrap(clients.first { $0["publish"] as? Bool == true })

        let summaries = try HTTPClient.get(srs.apiPort, "/api/v1/summaries").json()
        let selfInfo = try XCTUnwrap((summaries["data"] as? [String: Any])?["self"] as? [String: Any])
        XCTAssertGreaterThan(selfInfo["mem_kbyte"] as? Int ?? 0, 1000)

        XCTAssertEqual(try HTTPClient.get(srs.apiPort, "/api/v1/vhosts/").json()["code"] as? Int, 0)
        XCTAssertEqual(try HTTPClient.get(srs.apiPort, "/api/v1/versions?callback=cb").text.hasPrefix("cb({"), true)

        // DELETE kicks the publisher: ffmpeg ends, the stream is no longer active.
        let kicked = try HTTPClient.request("DELETE", port: srs.apiPort, path: "/api/v1/clients/\(publisher["id"] as! String)").json()
        XCTAssertEqual(kicked["code"] as? Int, 0)
        XCTAssertNotNil(pub.wait(timeout: 10), "publisher should end after kick")
        XCTAssertEqual(try HTTPClient.request("DELETE", port: srs.apiPort, path: "/api/v1/clients/nope").json()["code"] as? Int, 2049)
    }

    func testStaticFilesAndTraversalRefused() throws {
        let srs = try start()
        defer { srs.stop() }
        let index = try HTTPClient.get(srs.httpPort, "/")
        XCTAssertEqual(index.status, 200)
        XCTAssertTrue(index.headers["content-type"]?.hasPrefix("text/html") ?? false)
        XCTAssertTrue(index.text.contains("SwiftSRS"))
        let xml = try HTTPClient.get(srs.httpPort, "/crossdomain.xml")
        XCTAssertEqual(xml.status, 200)
        XCTAssertEqual(xml.headers["content-type"], "text/xml")
        XCTAssertEqual(xml.headers["access-control-allow-origin"], "*")
        let head = try HTTPClient.request("HEAD", port: srs.httpPort, path: "/index.html")
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body.count, 0)
        XCTAssertEqual(Int(head.headers["content-length"] ?? ""), index.body.count)
        let range = try HTTPClient.request(port: srs.httpPort, path: "/index.html", headers: ["Range": "bytes=0-9"])
        XCTAssertEqual(range.status, 206)
        XCTAssertEqual(range.body.count, 10)
        XCTAssertEqual(try HTTPClient.get(srs.httpPort, "/missing.html").status, 404)
        for evil in ["/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd", "/a/../../etc/passwd"] {
            let r = try HTTPClient.request(port: srs.httpPort, path: evil)
            XCTAssertTrue(r.status == 400 || r.status == 404, "\(evil) → \(r.status)")
            XCTAssertFalse(r.text.contains("root:"), evil)
        }
        XCTAssertEqual(try HTTPClient.get(srs.httpPort, "/healthz").status, 200)
        XCTAssertEqual(try HTTPClient.get(srs.apiPort, "/readyz").status, 200)
    }

    /// `http_api.crossdomain` governs API answers, `http_server.crossdomain` files and streams:
    /// turning the API's off must not be undone by the HTTP server's default.
    func testCrossdomainOfTheAPIAndTheHTTPServerApplyEachToItsOwn() throws {
        let srs = try SRSProcess(config: Self.config.replacingOccurrences(
            of: "http_api { enabled on; listen {API}; }", with: "http_api { enabled on; listen {API}; crossdomain off; }"))
        defer { srs.stop() }
        try srs.waitListening(srs.apiPort)
        try srs.waitListening(srs.httpPort)
        let api = try HTTPClient.get(srs.apiPort, "/api/v1/versions")
        XCTAssertEqual(api.status, 200)
        XCTAssertNil(api.headers["access-control-allow-origin"], "the API's crossdomain is off")
        XCTAssertEqual(try HTTPClient.get(srs.httpPort, "/crossdomain.xml").headers["access-control-allow-origin"], "*")

        // One port for both (SRS: the API's listen equals the server's): each path its own setting.
        let shared = try SRSProcess(config: """
            listen {RTMP};
            daemon off;
            srs_log_tank console;
            http_api { enabled on; listen {HTTP}; crossdomain off; }
            http_server { enabled on; listen {HTTP}; dir \(Self.htmlDir); crossdomain on; }
            vhost __defaultVhost__ { }
            """)
        defer { shared.stop() }
        try shared.waitListening(shared.httpPort)
        XCTAssertNil(try HTTPClient.get(shared.httpPort, "/api/v1/versions").headers["access-control-allow-origin"])
        XCTAssertEqual(try HTTPClient.get(shared.httpPort, "/crossdomain.xml").headers["access-control-allow-origin"], "*")
    }

    func testHostileRequestsGetErrorsAndServerSurvives() throws {
        let srs = try start()
        defer { srs.stop() }
        let huge = "GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 40000))\r\n\r\n"
        XCTAssertEqual(try HTTPClient.request(port: srs.httpPort, path: "", rawRequest: huge).status, 431)
        let longURI = "GET /\(String(repeating: "a", count: 10000)) HTTP/1.1\r\nHost: x\r\n\r\n"
        XCTAssertEqual(try HTTPClient.request(port: srs.httpPort, path: "", rawRequest: longURI).status, 414)
        XCTAssertEqual(try HTTPClient.request(port: srs.httpPort, path: "", rawRequest: "GARBAGE\r\n\r\n").status, 400)
        let bigBody = "POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"
        XCTAssertEqual(try HTTPClient.request(port: srs.apiPort, path: "", rawRequest: bigBody).status, 413)
        // Random bytes to both ports, then the server still answers.
        for port in [srs.httpPort, srs.apiPort] {
            let fd = try RawClient.connect(port: port)
            RawClient.send(fd, (0..<5000).map { _ in UInt8.random(in: 0...255) })
            close(fd)
        }
        XCTAssertEqual(try HTTPClient.get(srs.apiPort, "/api/v1/versions").status, 200)
        XCTAssertTrue(srs.process.isRunning)
    }

    /// The console page, loaded in headless Chromium against a live server, lists the stream.
    func testConsolePageListsStreamInChromium() throws {
        let browser = ["chromium", "chromium-browser"].first { Tool.available($0) }
        try XCTSkipUnless(browser != nil && Tool.available("ffmpeg"), "chromium/ffmpeg not installed")
        let srs = try start()
        defer { srs.stop() }
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/console", seconds: 30)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let profile = srs.dir.appendingPathComponent("chromium").path
        let (status, dom) = try Tool.run(browser!, ["--headless", "--no-sandbox", "--disable-gpu", "--user-data-dir=\(profile)",
                                                    "--virtual-time-budget=8000", "--dump-dom",
                                                    "http://127.0.0.1:\(srs.httpPort)/console.html?api=127.0.0.1:\(srs.apiPort)"],
                                            timeout: 60)
        XCTAssertEqual(status, 0, dom)
        XCTAssertTrue(dom.contains("/live/console"), dom)
        XCTAssertTrue(dom.contains("fmle-publish"), dom)
    }
}
