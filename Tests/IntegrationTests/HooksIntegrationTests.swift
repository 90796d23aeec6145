import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// http_hooks against the real `srs` with ffmpeg/ffprobe and a recording hook server
/// (tools/hooks/hook_recorder.py): SRS's bodies, accept and refuse, every failure mode.
final class HooksIntegrationTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg/ffprobe not installed")
        try XCTSkipUnless(Tool.available("python3"), "python3 not installed")
    }

    /// A server with every hook pointing at `hooks` (SRS's capture config) and `extra` in the vhost.
    static func config(_ hooks: HookServer, hooksExtra: String = "", vhostExtra: String = "", top: String = "") -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        \(top)
        http_server { enabled on; listen {HTTP}; dir ./html; }
        vhost __defaultVhost__ {
            hls { enabled on; hls_fragment 2; hls_window 10; hls_path ./html; hls_m3u8_file [app]/[stream].m3u8; hls_ts_file [app]/[stream]-[seq].ts; }
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
            http_hooks {
                enabled on;
                on_connect \(hooks.url("/api/v1/clients"));
                on_close \(hooks.url("/api/v1/clients"));
                on_publish \(hooks.url("/api/v1/streams"));
                on_unpublish \(hooks.url("/api/v1/streams"));
                on_play \(hooks.url("/api/v1/sessions"));
                on_stop \(hooks.url("/api/v1/sessions"));
                on_dvr \(hooks.url("/api/v1/dvrs"));
                on_hls \(hooks.url("/api/v1/hls"));
                on_hls_notify \(hooks.url("/api/v1/hls/[server_id]/[app]/[stream]/[ts_url][param]"));
                \(hooksExtra)
            }
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

    /// One publisher, one RTMP and one HTTP-FLV player, as in SRS's capture: every body has
    /// SRS's members in SRS's order with SRS's values (ids, ports, paths, times normalized),
    /// the headers are SRS's, and each client's events come in SRS's order.
    func testBodiesMatchSRS7Captures() throws {
        let hooks = try HookServer()
        defer { hooks.stop() }
        let srs = try Self.start(Self.config(hooks))
        defer { srs.stop() }
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/livestream?token=abc&x=1", seconds: 7, gop: 25)
        defer { pub.stop() }
        XCTAssertTrue(hooks.wait { $0.contains { $0.action == "on_hls" } }, "no on_hls: \(srs.log)")
        let rtmp = try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/livestream?ptoken=p1")
        XCTAssertEqual(FFmpeg.codecs(rtmp), ["h264", "aac"])
        let flv = try FFmpeg.probe("http://127.0.0.1:\(srs.httpPort)/live/livestream.flv?ftoken=f1")
        XCTAssertEqual(FFmpeg.codecs(flv), ["h264", "aac"])
        XCTAssertNotNil(pub.wait(timeout: 20))
        XCTAssertTrue(hooks.wait(timeout: 15) { $0.filter { $0.action == "on_close" }.count == 2 && $0.contains { $0.action == "on_unpublish" } },
                      "\(hooks.requests.map(\.action))")
        let all = hooks.requests
        let publisher = try XCTUnwrap(all.first { $0.action == "on_publish" }).clientID
        let rtmpPlayer = try XCTUnwrap(all.first { $0.action == "on_connect" && $0.clientID != publisher }).clientID
        let flvPlayer = try XCTUnwrap(all.first { $0.action == "on_play" && $0.clientID != rtmpPlayer }).clientID
        let server = all[0].fields["server_id"] as? String ?? ""
        let streamID = all.first { $0.action == "on_publish" }?.fields["stream_id"] as? String ?? ""

        // Each client's events in SRS's order (HLS segments may come in any number).
        func actions(_ cid: String) -> [String] { all.filter { $0.clientID == cid || ($0.method == "GET" && cid == publisher) }.map(\.action) }
        let pubActions = actions(publisher).filter { $0 != "on_hls" && $0 != "on_hls_notify" }
        XCTAssertEqual(pubActions, ["on_connect", "on_publish", "on_unpublish", "on_close"])
        XCTAssertEqual(actions(rtmpPlayer), ["on_connect", "on_play", "on_stop", "on_close"])
        XCTAssertEqual(actions(flvPlayer), ["on_play", "on_stop"])

        for (label, expected) in SRSHookCaptures.bodies {
            let (who, action) = (label.components(separatedBy: " on_")[0], "on_" + label.components(separatedBy: " on_")[1])
            let cid = who == "publisher" ? publisher : who == "rtmp player" ? rtmpPlayer : flvPlayer
            let got = try XCTUnwrap(all.first { $0.action == action && $0.clientID == cid }, label)
            compare(got, expected: expected, label: label, ids: (server, cid, streamID), srs: srs, hooksPort: hooks.port)
        }
        // on_hls_notify: GET of the template with SRS's variables, empty body.
        let notify = try XCTUnwrap(all.first { $0.method == "GET" })
        XCTAssertEqual(notify.path, SRSHookCaptures.notifyPath.replacingOccurrences(of: "vid-90dh6c5", with: server))
        XCTAssertEqual(notify.header("Content-Length"), "0")
        XCTAssertEqual(notify.body, "")
        // The calls reuse kept-alive connections: far fewer connections than requests.
        XCTAssertLessThan(Set(all.map(\.peer)).count, all.count / 2, "\(all.map(\.peer))")
    }

    /// Compares one of our requests with SRS's, member by member.
    private func compare(_ got: HookRecord, expected: String, label: String, ids: (server: String, client: String, stream: String),
                         srs: SRSProcess, hooksPort: Int) {
        XCTAssertEqual(got.keys, HookRecord.keys(of: expected), "\(label): member order")
        XCTAssertEqual(got.headers.map(\.0), SRSHookCaptures.headerNames, label)
        for (name, value) in SRSHookCaptures.fixedHeaders { XCTAssertEqual(got.header(name), value, label) }
        XCTAssertEqual(got.header("Host"), "127.0.0.1:\(hooksPort)", label)
        XCTAssertEqual(got.header("Content-Length"), "\(got.body.utf8.count)", label)
        let want = (try? JSONSerialization.jsonObject(with: Data(expected.utf8))) as? [String: Any] ?? [:]
        for key in HookRecord.keys(of: expected) {
            let g = got.fields[key]
            let w = want[key]
            switch key {
            case "server_id": XCTAssertEqual(g as? String, ids.server, label)
            case "service_id": XCTAssertEqual((g as? String)?.count, 8, label)
            case "client_id": XCTAssertEqual(g as? String, ids.client, label)
            case "stream_id": XCTAssertEqual(g as? String, ids.stream, label)
            case "tcUrl":
                XCTAssertEqual(g as? String, (w as? String)?.replacingOccurrences(of: ":19935", with: ":\(srs.rtmpPort)"), label)
            case "send_bytes", "recv_bytes": XCTAssertGreaterThan(g as? Int ?? 0, 0, "\(label) \(key)")
            case "cwd":
                XCTAssertEqual((g as? String).map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path },
                               srs.dir.resolvingSymlinksInPath().path, label)
            case "duration":
                XCTAssertNotNil(got.body.range(of: #""duration":\d+\.\d\d,"#, options: .regularExpression), got.body)
                XCTAssertEqual(g as? Double ?? 0, 2, accuracy: 0.5, label)
            default:
                XCTAssertEqual("\(g ?? "absent")", "\(w ?? "absent")", "\(label): \(key)")
            }
        }
    }

    /// on_publish refuses: ffmpeg fails at once with SRS's "Server error" path, the stream never
    /// exists, on_unpublish is not sent (the publish never started) and on_close is. Then it
    /// accepts, with the 0 answer: ffmpeg publishes and ffprobe plays.
    func testPublishRefusedThenAccepted() throws {
        let hooks = try HookServer()
        defer { hooks.stop() }
        let srs = try Self.start(Self.config(hooks))
        defer { srs.stop() }
        try hooks.set(["on_publish": "deny"])
        let refused = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/s?token=bad", seconds: 10)
        defer { refused.stop() }
        let started = Date()
        XCTAssertNotEqual(refused.wait(timeout: 8), 0, "ffmpeg was not refused")
        XCTAssertLessThan(Date().timeIntervalSince(started), 5)
        XCTAssertTrue(refused.output.contains("on_publish"), refused.output)
        XCTAssertTrue(hooks.wait { $0.contains { $0.action == "on_close" } })
        XCTAssertEqual(hooks.requests.map(\.action), ["on_connect", "on_publish", "on_close"])
        XCTAssertTrue(srs.log.contains("reject publish"), srs.log)

        try hooks.set(["on_publish": "zero"])
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/s?token=good", seconds: 20)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/s")), ["h264", "aac"])
    }

    /// on_play refuses over RTMP (ffprobe fails: `NetStream.Play.Failed`) and HTTP-FLV (403);
    /// on_connect refusing refuses the play too. Accepted plays work.
    func testPlayRefusedAndAcceptedOverRTMPAndFLV() throws {
        let hooks = try HookServer()
        defer { hooks.stop() }
        let srs = try Self.start(Self.config(hooks))
        defer { srs.stop() }
        try hooks.set(["on_play:s": "deny", "on_connect:other": "status:403"])
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/s", seconds: 30)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)

        XCTAssertThrowsError(try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/s?t=bad", timeout: 10))
        let probe = try RTMPStartProbe(port: srs.rtmpPort, name: "s?t=bad", publish: false)
        probe.close()
        guard case .refused(let code, let why) = probe.outcome else { return XCTFail("\(probe.outcome)") }
        XCTAssertEqual(code, "NetStream.Play.Failed")
        XCTAssertTrue(why.contains("on_play"), why)
        let flv = try HTTPClient.get(srs.httpPort, "/live/s.flv?t=bad")
        XCTAssertEqual(flv.status, 403)
        let other = try RTMPStartProbe(port: srs.rtmpPort, name: "other", publish: false)
        other.close()
        // The client learns the event and the hook server's answer, never the hook's URL.
        XCTAssertEqual(other.outcome, .refused(code: "NetStream.Play.Failed", description: #"on_connect refused: {"code":0}"#))
        XCTAssertTrue(srs.log.contains("http: on_connect failed, client_id="), srs.log)

        try hooks.set([:])
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/s?t=good")), ["h264", "aac"])
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("http://127.0.0.1:\(srs.httpPort)/live/s.flv?t=good")), ["h264", "aac"])
        // Refused plays got no on_stop; accepted ones did.
        XCTAssertTrue(hooks.wait { $0.filter { $0.action == "on_stop" }.count == 2 })
        XCTAssertEqual(Set(hooks.requests("on_stop").map { $0.fields["param"] as? String ?? "" }), ["?t=good"])
    }

    /// Every way a hook server can fail refuses the client: a status other than 200/201, a body
    /// that is not 0 or code 0, a connection closed without an answer, no answer within the
    /// timeout, nothing listening. Several URLs are called in order and all must accept.
    func testFailuresRefuseAndEveryURLMustAccept() throws {
        let hooks = try HookServer()
        let second = try HookServer()
        defer { hooks.stop(); second.stop() }
        let dead = FreePort.next()
        let config = Self.config(hooks, hooksExtra: "timeout 1s;").replacingOccurrences(
            of: "on_publish \(hooks.url("/api/v1/streams"));",
            with: "on_publish \(hooks.url("/api/v1/streams")) \(second.url("/second"));")
            .replacingOccurrences(of: "on_play \(hooks.url("/api/v1/sessions"));", with: "on_play http://127.0.0.1:\(dead)/nobody;")
        let srs = try Self.start(config)
        defer { srs.stop() }
        for answer in ["status:500", "status:204", "garbage", "deny", "close", "slow:2500"] {
            try hooks.set(["on_publish": answer])
            let p = try RTMPStartProbe(port: srs.rtmpPort, name: "f", publish: true)
            p.close()
            guard case .refused(let code, _) = p.outcome else { XCTFail("\(answer): \(p.outcome)"); continue }
            XCTAssertEqual(code, "NetStream.Publish.Denied", answer)
            if answer.hasPrefix("slow") { XCTAssertEqual(p.elapsed, 1, accuracy: 0.6, "the timeout is 1 s") }
        }
        // The first URL accepts, the second refuses: refused, after both were asked in order.
        try hooks.set([:])
        try second.set(["on_publish": "deny"])
        let before = second.requests.count
        let p = try RTMPStartProbe(port: srs.rtmpPort, name: "f", publish: true)
        p.close()
        XCTAssertEqual(p.outcome, .refused(code: "NetStream.Publish.Denied", description: #"on_publish refused: {"code":1}"#))
        XCTAssertEqual(second.requests.count, before + 1)
        XCTAssertLessThan(try XCTUnwrap(hooks.requests("on_publish").last).t, try XCTUnwrap(second.requests.last).t)
        try second.set([:])
        let ok = try RTMPStartProbe(port: srs.rtmpPort, name: "f", publish: true)
        ok.close()
        XCTAssertEqual(ok.outcome, .started)
        // A hook URL where nothing listens refuses at once.
        let play = try RTMPStartProbe(port: srs.rtmpPort, name: "f", publish: false)
        play.close()
        guard case .refused(let code, let why) = play.outcome else { return XCTFail("\(play.outcome)") }
        XCTAssertEqual(code, "NetStream.Play.Failed")
        XCTAssertEqual(why, "on_play failed")
        XCTAssertLessThan(play.elapsed, 1)
        XCTAssertTrue(srs.log.contains("reject play __defaultVhost__/live/f: on_play failed"), srs.log)
    }

    /// A client waiting for a slow hook is not closed by rtmp_command_timeout (it waits for the
    /// hook, not for its client), within the hook timeout.
    func testCommandDeadlineSparesAClientWaitingForItsHook() throws {
        let hooks = try HookServer()
        defer { hooks.stop() }
        let srs = try Self.start(Self.config(hooks, hooksExtra: "timeout 10s;", top: "rtmp_command_timeout 1000;"))
        defer { srs.stop() }
        try hooks.set(["on_publish": "slow:2500"])
        let p = try RTMPStartProbe(port: srs.rtmpPort, name: "slowly", publish: true)
        defer { p.close() }
        XCTAssertEqual(p.outcome, .started)
        XCTAssertGreaterThan(p.elapsed, 2.4)
    }
}
