import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// HLS players through SRS 7's sessions (`hls_ctx`): checked once by security and on_play,
/// ended by on_stop when they stop asking for the playlist.
final class HooksHLSTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe") && Tool.available("python3"),
                          "ffmpeg/ffprobe/python3 not installed")
    }

    /// A GET from `source` (a loopback address): status and body.
    private func get(_ port: Int, _ path: String, from source: String = "127.0.0.1") throws -> (Int, String) {
        let fd = try RTMPStartProbe.connect(port: port, source: source)
        defer { close(fd) }
        RawClient.send(fd, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8))
        let reply = try HTTPClient.parse(RawClient.receiveUntilClose(fd, timeout: 10), method: "GET")
        return (reply.status, reply.text)
    }

    func testHLSPlayersGetSessionsCheckedByHooksAndRules() throws {
        let hooks = try HookServer()
        defer { hooks.stop() }
        let config = HooksIntegrationTests.config(hooks, vhostExtra: "security { enabled on; allow publish all; deny play 127.0.0.4; allow play all; }")
            .replacingOccurrences(of: "hls_window 10;", with: "hls_window 2;")
        let srs = try HooksIntegrationTests.start(config)
        defer { srs.stop() }
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/livestream?token=abc", seconds: 40, gop: 25)
        defer { pub.stop() }
        XCTAssertTrue(hooks.wait(timeout: 15) { $0.contains { $0.action == "on_hls" } }, srs.log)
        let publishID = hooks.requests("on_publish").first?.fields["stream_id"] as? String

        // The first request gets SRS's master playlist naming the session.
        let (status, master) = try get(srs.httpPort, "/live/livestream.m3u8?k=v")
        XCTAssertEqual(status, 200)
        let lines = master.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.prefix(2)), ["#EXTM3U", "#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=1"])
        let variant = try XCTUnwrap(lines.last)
        let id = try XCTUnwrap(variant.components(separatedBy: "hls_ctx=").last?.components(separatedBy: "&").first)
        XCTAssertEqual(variant, "/live/livestream.m3u8?hls_ctx=\(id)&k=v")
        // Its on_play, as SRS 7 sends it for HLS (the stream keeps .m3u8, tcUrl http://host/app).
        let play = try XCTUnwrap(hooks.requests("on_play").first)
        XCTAssertEqual(play.clientID, id)
        XCTAssertEqual(play.keys, ["server_id", "service_id", "action", "client_id", "ip", "vhost", "app", "stream", "tcUrl", "param",
                                   "pageUrl", "stream_url", "stream_id"])
        XCTAssertEqual(play.fields["stream"] as? String, "livestream.m3u8")
        XCTAssertEqual(play.fields["tcUrl"] as? String, "http://127.0.0.1/live")
        XCTAssertEqual(play.fields["param"] as? String, "?k=v")
        XCTAssertEqual(play.fields["stream_url"] as? String, "/live/livestream")
        XCTAssertEqual(play.fields["stream_id"] as? String, publishID)

        // The session's playlist: segments carry the session too; no second on_play.
        let (s2, media) = try get(srs.httpPort, variant)
        XCTAssertEqual(s2, 200)
        XCTAssertTrue(media.contains(".ts?hls_ctx=\(id)"), media)
        XCTAssertEqual(hooks.requests("on_play").count, 1)
        // A player follows it.
        XCTAssertTrue(FFmpeg.codecs(try FFmpeg.probe("http://127.0.0.1:\(srs.httpPort)/live/livestream.m3u8")).contains("h264"))

        // Refused by the rules, or by on_play: 403, no session.
        XCTAssertEqual(try get(srs.httpPort, "/live/livestream.m3u8", from: "127.0.0.4").0, 403)
        try hooks.set(["on_play": "deny"])
        XCTAssertEqual(try get(srs.httpPort, "/live/livestream.m3u8?x=1").0, 403)
        XCTAssertEqual(hooks.requests("on_play").last?.fields["param"] as? String, "?x=1")

        // Not asked for twice hls_window (4 s): on_stop with the session's id.
        XCTAssertTrue(hooks.wait(timeout: 10) { $0.contains { $0.action == "on_stop" && $0.clientID == id } })
        let stop = try XCTUnwrap(hooks.requests("on_stop").first { $0.clientID == id })
        XCTAssertEqual(stop.fields["stream"] as? String, "livestream.m3u8")
        XCTAssertGreaterThan(stop.t - play.t, 3.5)
    }
}
