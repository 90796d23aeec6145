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

    override func setUpWithError() throws { try Self.requireFFmpegWithSRT() }

    static func requireFFmpegWithSRT() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg not installed")
        let (_, protocols) = try Tool.run("ffmpeg", ["-hide_banner", "-protocols"], timeout: 10)
        try XCTSkipUnless(protocols.contains("srt"), "ffmpeg without libsrt")
    }

    func start(_ config: String) throws -> (SRSProcess, Int) { try Self.start(config) }

    /// Starts srs with an SRT port of its own (`{SRT}` in the config).
    static func start(_ config: String) throws -> (SRSProcess, Int) {
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
        // ffprobe would analyze 5 s of a TS stream: 1.5 s hold two GOPs.
        let (status, out) = try Tool.run("ffprobe", ["-v", "error", "-analyzeduration", "1500000",
                                                     "-show_entries", "stream=codec_name", "-of", "json",
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
        // An RTMP player joining now starts with the GOP cache.
        let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "s")
        defer { player.stop() }
        try Deadline.require("an RTMP keyframe", timeout: 10) { player.keyframes > 0 }
        print("SRT publish accepted \(Int(published.timeIntervalSince(t0) * 1000)) ms after ffmpeg started; "
              + "RTMP player's first keyframe \(Int((player.firstKeyframe ?? 0) * 1000)) ms after it connected")
        let rtmp = try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/s")
        XCTAssertEqual(FFmpeg.codecs(rtmp), ["h264", "aac"])
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

    /// The worker (pid, as in the log's third field) of each line containing `text`, in order.
    static func workers(_ log: String, _ text: String) -> [(pid: String, line: Substring)] {
        log.split(separator: "\n").filter { $0.contains(text) }.compactMap { line in
            // [time][Trace][pid][cid] message
            line.split(separator: "]", maxSplits: 3).dropFirst(2).first.map { (String($0.dropFirst()), line) }
        }
    }

    /// SRT publishers of streams `w0`, `w1`... until two workers have one (at most 8): the
    /// kernel spreads them over the slot sockets by their source ports. Returns the stream each
    /// worker got first.
    func publishOnBothWorkers(_ srs: SRSProcess, port: Int, into pubs: inout [String: Tool]) throws -> [String: String] {
        var byWorker: [String: String] = [:]
        for i in 0..<8 where byWorker.count < 2 {
            pubs["w\(i)"] = try Self.publishSRT(port: port, stream: "w\(i)")
            try srs.waitForLog("SRT start publish stream __defaultVhost__/live/w\(i),", timeout: 10)
            for (pid, _) in Self.workers(srs.log, "SRT start publish stream __defaultVhost__/live/w\(i),") where byWorker[pid] == nil {
                byWorker[pid] = "w\(i)"
            }
        }
        return byWorker
    }

    /// Two workers, each on its own slot socket: publishers land on both, and every stream plays
    /// over SRT and RTMP from either worker (through the relay when the player's worker is not
    /// the publisher's).
    func testTwoWorkersServeSRTPublishersAndPlayers() throws {
        let (srs, port) = try start(Self.config(workers: 2))
        defer { srs.stop() }
        try srs.waitForLog("SRT listen at udp://", count: 2, timeout: 10)
        var pubs: [String: Tool] = [:]
        defer { for p in pubs.values { p.stop() } }
        let byWorker = try publishOnBothWorkers(srs, port: port, into: &pubs)
        XCTAssertEqual(byWorker.count, 2, "8 publishers all on one worker:\n\(srs.log)")
        for stream in byWorker.values.sorted() {
            for _ in 0..<2 { XCTAssertEqual(try Self.probeSRT(port: port, stream: stream), ["h264", "aac"], stream) }
        }
        let relayed = Self.workers(srs.log, "SRT start play stream").filter { w in
            byWorker[w.pid].map { !w.line.contains("/live/\($0),") } ?? false
        }.count
        print("SRT publishers on \(pubs.count) connections, \(relayed) of 4 SRT plays on the other worker")
        for p in pubs.values { XCTAssertTrue(p.isRunning, p.output) }
    }

    /// A worker killed: its replacement gets the same slot socket, and the other worker's SRT
    /// publisher is untouched (the group of sockets on the port never changed).
    func testAKilledWorkerIsReplacedOnItsSlotAndTheOtherKeepsItsClients() throws {
        let (srs, port) = try start(Self.config(workers: 2))
        defer { srs.stop() }
        try srs.waitForLog("SRT listen at udp://", count: 2, timeout: 10)
        var pubs: [String: Tool] = [:]
        defer { for p in pubs.values { p.stop() } }
        let byWorker = try publishOnBothWorkers(srs, port: port, into: &pubs)
        try XCTSkipUnless(byWorker.count == 2, "8 publishers all on one worker")
        let (victim, survivor) = (byWorker.keys.sorted()[0], byWorker.keys.sorted()[1])
        let slotLine = Self.workers(srs.log, "SRT listen at udp://").first { $0.pid == victim }?.line ?? ""
        let slot = slotLine.range(of: "(slot ").map { slotLine[$0.upperBound...].prefix { $0.isNumber } } ?? ""
        XCTAssertFalse(slot.isEmpty, srs.log)
        let survivorStream = byWorker[survivor]!
        let closedBefore = srs.log.components(separatedBy: "closed (").count
        kill(pid_t(victim)!, SIGKILL)
        try srs.waitForLog("SRT listen at udp://", count: 3, timeout: 10)
        let respawned = Self.workers(srs.log, "SRT listen at udp://").last!
        XCTAssertNotEqual(respawned.pid, victim)
        XCTAssertTrue(respawned.line.contains("(slot \(slot))"), "\(respawned.line) should take slot \(slot)")
        // The survivor's publisher goes on (its connection never left its socket).
        Thread.sleep(forTimeInterval: 1)
        XCTAssertTrue(pubs[survivorStream]!.isRunning, pubs[survivorStream]!.output)
        XCTAssertFalse(Self.workers(srs.log, "closed (").dropFirst(closedBefore - 1).contains { $0.pid == survivor }, srs.log)
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/\(survivorStream)")), ["h264", "aac"])
        // New SRT clients are served by both workers again.
        let again = try Self.publishSRT(port: port, stream: "again", seconds: 10)
        defer { again.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/again,", timeout: 10)
    }

    /// Hot upgrade: the new workers take the slots, the old ones close their SRT side when they
    /// retire; SRT works on the new generation (clients of the old one reconnect).
    func testHotUpgradeHandsTheSlotsToTheNewWorkers() throws {
        let (binDir, binary) = try ChildProcessSupport.privateBinary()
        defer { try? FileManager.default.removeItem(at: binDir) }
        let port = FreePort.next()
        let srs = try SRSProcess(config: Self.config(workers: 2).replacingOccurrences(of: "{SRT}", with: "\(port)"), binary: binary)
        defer { srs.stop() }
        try srs.waitListening()
        let old = Set(Processes.children(of: srs.pid))
        let pub = try Self.publishSRT(port: port, stream: "u", seconds: 30)
        defer { pub.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/u,", timeout: 10)
        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.1")
        srs.signal(SIGUSR2)
        try srs.waitForLog("re-executed as SwiftSRS/1.0.1", timeout: 15)
        try Deadline.require("old workers gone", timeout: 10) { old.allSatisfy { !Processes.isAlive($0) || Processes.stat(of: $0)?.state == "Z" } }
        let listens = Self.workers(srs.log, "SRT listen at udp://").filter { !old.contains(pid_t($0.pid)!) }
        XCTAssertEqual(Set(listens.map { $0.line.contains("(slot 0)") ? 0 : 1 }), [0, 1], srs.log)
        let again = try Self.publishSRT(port: port, stream: "u2", seconds: 10)
        defer { again.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/u2,", timeout: 10)
        XCTAssertEqual(try Self.probeSRT(port: port, stream: "u2"), ["h264", "aac"])
    }

    /// Reload turns SRT on (each running worker gets a slot), moves nothing else, and off again:
    /// the SRT client closes with the listener and the port is free.
    func testReloadTurnsSRTOnAndOff() throws {
        let (srs, port) = try start(Self.config(srt: false, workers: 2))
        defer { srs.stop() }
        XCTAssertTrue(Self.udpPortFree(port))
        try srs.rewriteConfig(Self.config(workers: 2).replacingOccurrences(of: "{SRT}", with: "\(port)"))
        srs.signal(SIGHUP)
        try srs.waitForLog("reload config success", timeout: 5)
        try srs.waitForLog("SRT listen at udp://0.0.0.0:\(port)", count: 2, timeout: 5)
        XCTAssertEqual(Set(Self.workers(srs.log, "SRT listen at udp://").map { $0.line.contains("(slot 0)") ? 0 : 1 }), [0, 1])
        let pub = try Self.publishSRT(port: port, stream: "on", seconds: 20)
        defer { pub.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/on", timeout: 10)
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/on")), ["h264", "aac"])

        try srs.rewriteConfig(Self.config(srt: false, workers: 2).replacingOccurrences(of: "{SRT}", with: "\(port)"))
        srs.signal(SIGHUP)
        try srs.waitForLog("reload config success", count: 2, timeout: 5)
        // Its client goes with the listener (they share the UDP socket).
        try srs.waitForLog("closed (closed by server)", timeout: 5)
        try Deadline.require("the SRT port released", timeout: 5, every: 0.05) { Self.udpPortFree(port) }
    }

    /// A port change: the new port serves, the old one is released.
    func testReloadMovesTheSRTPort() throws {
        let (srs, port) = try start(Self.config())
        defer { srs.stop() }
        try srs.waitForLog("SRT listen at udp://", timeout: 5)
        let port2 = FreePort.next()
        try srs.rewriteConfig(Self.config().replacingOccurrences(of: "{SRT}", with: "\(port2)"))
        srs.signal(SIGHUP)
        try srs.waitForLog("reload config success", timeout: 5)
        try srs.waitForLog("SRT listen at udp://0.0.0.0:\(port2)", timeout: 5)
        try Deadline.require("the old SRT port released", timeout: 5, every: 0.05) { Self.udpPortFree(port) }
        let pub = try Self.publishSRT(port: port2, stream: "moved", seconds: 10)
        defer { pub.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/moved", timeout: 10)
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

/// http_hooks and security for SRT clients, as for RTMP ones.
final class SRTAccessTests: XCTestCase {
    override func setUpWithError() throws {
        try SRTServerTests.requireFFmpegWithSRT()
        try XCTSkipUnless(Tool.available("python3"), "python3 not installed")
    }

    func testHooksSeeAnSRTPublisherAndPlayerAndCanRefuse() throws {
        let hooks = try HookServer()
        defer { hooks.stop() }
        let hookConfig = """
            http_hooks {
                enabled on;
                on_connect \(hooks.url("/api/v1/clients")); on_close \(hooks.url("/api/v1/clients"));
                on_publish \(hooks.url("/api/v1/streams")); on_unpublish \(hooks.url("/api/v1/streams"));
                on_play \(hooks.url("/api/v1/sessions")); on_stop \(hooks.url("/api/v1/sessions"));
            }
            """
        let config = SRTServerTests.config().replacingOccurrences(of: "srt { enabled on; srt_to_rtmp on; }",
                                                                  with: "srt { enabled on; srt_to_rtmp on; }\n" + hookConfig)
        let (srs, port) = try SRTServerTests.start(config)
        defer { srs.stop() }
        let pub = try SRTServerTests.publishSRT(port: port, stream: "h", seconds: 4)
        defer { pub.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/h", timeout: 10)
        XCTAssertEqual(try SRTServerTests.probeSRT(port: port, stream: "h"), ["h264", "aac"])
        XCTAssertNotNil(pub.wait(timeout: 15))
        XCTAssertTrue(hooks.wait(timeout: 15) { $0.filter { $0.action == "on_close" }.count == 2 }, "\(hooks.requests.map(\.action))")
        let all = hooks.requests
        let publisher = try XCTUnwrap(all.first { $0.action == "on_publish" }).clientID
        XCTAssertEqual(all.filter { $0.clientID == publisher }.map(\.action), ["on_connect", "on_publish", "on_unpublish", "on_close"])
        let player = try XCTUnwrap(all.first { $0.action == "on_play" }).clientID
        XCTAssertEqual(all.filter { $0.clientID == player }.map(\.action), ["on_connect", "on_play", "on_stop", "on_close"])
        XCTAssertEqual(all.first { $0.action == "on_publish" }?.stream, "h")

        // Refused by on_publish: the SRT client is closed.
        try hooks.set(["on_publish": "deny"])
        let denied = try SRTServerTests.publishSRT(port: port, stream: "denied", seconds: 10)
        defer { denied.stop() }
        try srs.waitForLog("srt: reject publish __defaultVhost__/live/denied", timeout: 10)
        XCTAssertFalse(srs.log.contains("SRT start publish stream __defaultVhost__/live/denied"))
    }

    func testSecurityRulesApplyToSRT() throws {
        let config = SRTServerTests.config().replacingOccurrences(
            of: "srt { enabled on; srt_to_rtmp on; }",
            with: "srt { enabled on; srt_to_rtmp on; }\n security { enabled on; deny publish 127.0.0.1; allow play all; }")
        let (srs, port) = try SRTServerTests.start(config)
        defer { srs.stop() }
        let pub = try SRTServerTests.publishSRT(port: port, stream: "sec", seconds: 10)
        defer { pub.stop() }
        try srs.waitForLog("srt: reject publish __defaultVhost__/live/sec: security", timeout: 10)
        XCTAssertFalse(srs.log.contains("SRT start publish stream"))
    }
}

extension SRTAccessTests {
    /// `passphrase`/`pbkeylen` reach libsrt: an encrypted publish with the key is served, one
    /// without it is not.
    func testPassphraseIsRequired() throws {
        let config = SRTServerTests.config().replacingOccurrences(of: "srt_server { enabled on; listen {SRT}; }",
                                                                  with: "srt_server { enabled on; listen {SRT}; passphrase swiftsrs-secret; pbkeylen 16; }")
        let (srs, port) = try SRTServerTests.start(config)
        defer { srs.stop() }
        let (status, _) = try Tool.run("ffprobe", ["-v", "error", SRTServerTests.srtURL(port, "#!::r=live/k,m=request")], timeout: 15)
        XCTAssertNotEqual(status, 0, "no passphrase: refused")
        let pub = try Tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
                                      "-t", "10", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "mpegts",
                                      SRTServerTests.srtURL(port, "#!::r=live/k,m=publish") + "&passphrase=swiftsrs-secret&pbkeylen=16"])
        defer { pub.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/k", timeout: 10)
    }
}
