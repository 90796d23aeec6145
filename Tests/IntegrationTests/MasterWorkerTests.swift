import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The nginx-style process model: a master, N workers sharing the listeners, streams visible on
/// every worker, respawn, graceful and fast quit.
final class MasterWorkerTests: XCTestCase {
    static func config(workers: Int, extra: String = "") -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        worker_processes \(workers);
        \(extra)
        http_api { enabled on; listen {API}; }
        vhost __defaultVhost__ {
        }
        """
    }

    func testWorkersAreSpawnedTitledAndRespawned() throws {
        let srs = try SRSProcess(config: Self.config(workers: 2))
        defer { srs.stop() }
        try srs.waitListening()
        XCTAssertTrue(Deadline.wait(timeout: 5) { Processes.children(of: srs.pid).count == 2 }, srs.log)
        let workers = Processes.children(of: srs.pid)
        XCTAssertTrue(Processes.title(of: srs.pid).hasPrefix("srs: master process"), Processes.title(of: srs.pid))
        for w in workers { XCTAssertEqual(Processes.title(of: w), "srs: worker process") }

        let victim = workers[0]
        let killed = Date()
        kill(victim, SIGKILL)
        XCTAssertTrue(Deadline.wait(timeout: 1) {
            let now = Processes.children(of: srs.pid)
            return now.count == 2 && !now.contains(victim)
        }, "no respawn within 1 s:\n\(srs.log)")
        let respawned = Processes.children(of: srs.pid).first { $0 != workers[1] } ?? 0
        try srs.waitForLog("worker \(respawned) ready", timeout: 2)
        print("respawned in \(Int(Date().timeIntervalSince(killed) * 1000)) ms")
        // The service goes on: the API answers, RTMP accepts.
        let versions = try HTTPClient.get(port: srs.apiPort, path: "/api/v1/versions")
        XCTAssertEqual(versions.status, 200)
        XCTAssertTrue(TCPProbe.canConnect(port: srs.rtmpPort))
        XCTAssertTrue(srs.log.contains("worker \(victim) died (killed by signal 9), respawn"), srs.log)
    }

    func testPlayersOnEveryWorkerReceiveOnePublisher() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let srs = try SRSProcess(config: Self.config(workers: 2))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/fan", seconds: 40)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let players = (0..<40).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "fan") }
        defer { players.forEach { $0.stop() } }
        XCTAssertTrue(Deadline.wait(timeout: 20, every: 0.1) {
            players.allSatisfy { $0.keyframes > 0 && $0.audioFrames > 0 }
        }, "players without media: \(players.filter { $0.keyframes == 0 }.map { $0.error ?? "no error" })")
        for p in players { XCTAssertEqual(p.serverVersion, "1.0.0") }
        // The players landed on both workers, and the API counts them all, from any worker.
        let workers = Processes.children(of: srs.pid)
        let playing = workers.filter { w in srs.log.contains("][\(w)][") && srs.log.split(separator: "\n").contains {
            $0.contains("][\(w)][") && $0.contains("start play stream") } }
        XCTAssertEqual(playing.count, 2, "players served by \(playing) of \(workers)")
        for _ in 0..<4 {
            let streams = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/streams/")
            let list = streams["streams"] as? [[String: Any]] ?? []
            XCTAssertEqual(list.count, 1, "\(streams)")
            // As SRS, a stream's clients include its publisher.
            XCTAssertEqual(list.first?["clients"] as? Int, 41, "\(streams)")
            XCTAssertEqual((list.first?["publish"] as? [String: Any])?["active"] as? Bool, true)
            let clients = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/clients/?count=100")
            XCTAssertEqual((clients["clients"] as? [Any])?.count, 41)
            let summary = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/summaries")
            let system = (summary["data"] as? [String: Any])?["system"] as? [String: Any]
            XCTAssertEqual(system?["conn_srs"] as? Int, 41 + 1 /* this API request */, "\(summary)")
        }
    }

    func testGracefulQuitDrainsPlayersThenExits() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let srs = try SRSProcess(config: Self.config(workers: 2, extra: "grace_start_wait 800; grace_final_wait 500;"))
        defer { srs.stop() }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/grace", seconds: 40)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "grace")
        defer { player.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 10) { player.keyframes > 0 })
        player.resetGap()

        let quit = Date()
        srs.signal(SIGQUIT)
        // During grace_start_wait new connections are still accepted (load balancers catch up).
        XCTAssertTrue(TCPProbe.canConnect(port: srs.rtmpPort))
        XCTAssertTrue(Deadline.wait(timeout: 3) { !TCPProbe.canConnect(port: srs.rtmpPort) }, "listeners not closed")
        let closedAfter = Date().timeIntervalSince(quit)
        XCTAssertGreaterThan(closedAfter, 0.7)
        // The player is not cut while its publisher goes on (nothing may happen meanwhile: a
        // fixed time is the point).
        usleep(1_500_000)
        XCTAssertNil(player.error)
        XCTAssertLessThan(player.maxGap, 1.0)
        XCTAssertTrue(Processes.isAlive(srs.pid))
        XCTAssertTrue(srs.log.contains("wait for 1 conns to quit") || srs.log.contains("wait for 2 conns to quit"), srs.log)
        // When the publisher stops, its players are let go and the server exits.
        pub.stop()
        let stopped = Date()
        XCTAssertEqual(srs.waitExit(timeout: 5), 0, srs.log)
        XCTAssertLessThan(Date().timeIntervalSince(stopped), 2.5)
        let log = srs.log
        for line in ["sig=3, user start gracefully quit", "start wait for 800ms", "listeners closed", "source disposed",
                     "final wait for 500ms", "srs gracefully quit", "srs terminated"] {
            XCTAssertTrue(log.contains(line), "missing \(line):\n\(log)")
        }
    }

    func testGracefulQuitWithoutClientsTakesTheGraceWaits() throws {
        let srs = try SRSProcess(config: Self.config(workers: 2, extra: "grace_start_wait 300; grace_final_wait 400;"))
        defer { srs.stop() }
        try srs.waitListening()
        let quit = Date()
        srs.signal(SIGQUIT)
        XCTAssertEqual(srs.waitExit(timeout: 5), 0, srs.log)
        let took = Date().timeIntervalSince(quit)
        XCTAssertGreaterThan(took, 0.7)
        XCTAssertLessThan(took, 1.5, "SRS polls once a second; we react at once")
    }

    func testSigtermIsFastUnlessForceGraceQuit() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        for force in [false, true] {
            let srs = try SRSProcess(config: Self.config(workers: 1, extra: "force_grace_quit \(force ? "on" : "off"); grace_start_wait 300; grace_final_wait 300;"))
            defer { srs.stop() }
            try srs.waitListening()
            let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/term", seconds: 40)
            defer { pub.stop() }
            try srs.waitForLog("start publish stream", timeout: 10)
            let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "term")
            defer { player.stop() }
            XCTAssertTrue(Deadline.wait(timeout: 10) { player.keyframes > 0 })
            srs.signal(SIGTERM)
            if force {
                try srs.waitForLog("force gracefully quit, signo=15", timeout: 2)
                // Nothing may happen for a while: the fixed time is the point.
                usleep(1_000_000)
                XCTAssertTrue(Processes.isAlive(srs.pid), "force_grace_quit must wait for the clients")
                XCTAssertNil(player.error)
                srs.signal(SIGTERM)  // a second TERM cannot cut the wait short
                usleep(300_000)  // (the master has it by now; it must still be alive)
                XCTAssertTrue(Processes.isAlive(srs.pid))
                pub.stop()
                XCTAssertEqual(srs.waitExit(timeout: 5), 0, srs.log)
            } else {
                XCTAssertNotNil(srs.waitExit(timeout: 2), "fast quit took too long:\n\(srs.log)")
                XCTAssertTrue(srs.log.contains("sig=15, user terminate program, fast quit"), srs.log)
                XCTAssertTrue(Deadline.wait(timeout: 2) { player.error != nil }, "player not cut")
            }
        }
    }

    /// The channel to the master is each worker's lifeline: a worker whose master died drains
    /// (graceful quit) and exits instead of living on as an orphan.
    func testWorkersQuitWhenTheMasterDies() throws {
        let srs = try SRSProcess(config: Self.config(workers: 2, extra: "grace_start_wait 100; grace_final_wait 100;"))
        defer { srs.stop() }
        try srs.waitListening()
        XCTAssertTrue(Deadline.wait(timeout: 5) { Processes.children(of: srs.pid).count == 2 })
        let workers = Processes.children(of: srs.pid)
        kill(srs.pid, SIGKILL)
        XCTAssertTrue(Deadline.wait(timeout: 5) { workers.allSatisfy { !Processes.isAlive($0) || Processes.title(of: $0).isEmpty } },
                      "workers outlived their master:\n\(srs.log)")
        XCTAssertTrue(srs.log.contains("master is gone, gracefully quit"), srs.log)
    }
}
