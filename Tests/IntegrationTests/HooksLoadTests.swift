import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// http_hooks never block a worker's loop; they work with several workers, on edges, and
/// follow reloads.
final class HooksLoadTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("python3"), "ffmpeg/python3 not installed")
    }

    /// Every message at once to players (no merged writes), so their gaps measure the loop.
    static func config(_ hooks: HookServer, workers: Int = 1, extra: String = "") -> String {
        HooksIntegrationTests.config(hooks, vhostExtra: "play { mw_latency 0; mw_msgs 0; }\n\(extra)",
                                     top: "worker_processes \(workers);")
    }

    /// One player's play waits 2 s for its hook; meanwhile another stream's players get their
    /// media without a gap over 200 ms and another client's publish is accepted at once.
    func testSlowHookDelaysNobodyElse() throws {
        let hooks = try HookServer()
        defer { hooks.stop() }
        let srs = try HooksIntegrationTests.start(Self.config(hooks))
        defer { srs.stop() }
        try hooks.set(["on_play:held": "slow:2000"])
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/a", seconds: 40)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let players = (0..<4).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "a") }
        defer { players.forEach { $0.stop() } }
        XCTAssertTrue(Deadline.wait(timeout: 10) { players.allSatisfy { $0.keyframes > 1 } })
        usleep(500_000)  // past the start-up burst before the gaps are measured (a settling time)
        players.forEach { $0.resetGap() }

        let port = srs.rtmpPort
        let held = Thread.detachedResult { try RTMPStartProbe(port: port, name: "held", publish: false, timeout: 10) }
        // Its on_play is at the hook server (which answers it 2 s later) before the other client comes.
        XCTAssertTrue(hooks.wait(timeout: 5) { $0.contains { $0.action == "on_play" && $0.stream == "held" } })
        let other = try RTMPStartProbe(port: srs.rtmpPort, name: "c", publish: true)
        defer { other.close() }
        let heldProbe = try held.value(timeout: 15)
        defer { heldProbe.close() }
        let gaps = players.map(\.maxGap)
        XCTAssertEqual(heldProbe.outcome, .started)
        XCTAssertGreaterThan(heldProbe.elapsed, 1.9)
        XCTAssertEqual(other.outcome, .started)
        XCTAssertLessThan(other.elapsed, 0.3, "another client's publish waited")
        XCTAssertLessThan(gaps.max() ?? 1, 0.2, "players' gaps while a hook took 2 s: \(gaps)")
        XCTAssertTrue(players.allSatisfy { $0.error == nil })
        print("slow hook: held play \(heldProbe.elapsed)s, other publish \(Int(other.elapsed * 1000))ms, players' max gaps "
              + gaps.map { "\(Int($0 * 1000))ms" }.joined(separator: " "))
    }

    /// Two workers: each calls the hooks of its own clients (a play relayed from the other
    /// worker calls no hook: one on_play per player), with the same server and service ids.
    func testTwoWorkersCallTheirOwnClientsHooks() throws {
        let hooks = try HookServer()
        defer { hooks.stop() }
        let srs = try HooksIntegrationTests.start(Self.config(hooks, workers: 2))
        defer { srs.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 5) { srs.log.components(separatedBy: " ready, relay=").count == 3 }, srs.log)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/w?token=t", seconds: 40)
        defer { pub.stop() }
        XCTAssertTrue(hooks.wait { !$0.filter { $0.action == "on_publish" }.isEmpty })
        /// The pids of the workers that logged an accepted on_play.
        func playWorkers() -> Set<String> {
            Set(srs.log.components(separatedBy: "\n").filter { $0.contains("http: on_play ok, client_id=") }
                .compactMap { $0.components(separatedBy: "][")[safe: 2] })
        }
        var players: [RTMPTestPlayer] = []
        defer { players.forEach { $0.stop() } }
        // Players until both workers have some (the kernel picks the worker of each accept).
        while players.count < 48 && (players.count < 6 || playWorkers().count < 2) {
            players += (0..<6).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "w") }
            let n = players.count
            _ = hooks.wait(timeout: 5) { $0.filter { $0.action == "on_play" }.count >= n }
        }
        XCTAssertTrue(Deadline.wait(timeout: 15) { players.allSatisfy { $0.keyframes > 0 } }, srs.log)
        XCTAssertEqual(playWorkers().count, 2, "players on one worker only")
        XCTAssertEqual(hooks.requests("on_play").count, players.count, "one on_play per player, none for relays")
        XCTAssertEqual(Set(hooks.requests.map { $0.fields["service_id"] as? String ?? "" }).count, 1)
        players.forEach { $0.stop() }
        XCTAssertTrue(hooks.wait { $0.filter { $0.action == "on_stop" }.count == players.count })
    }

    /// A reload changes the hook URLs and the security rules at once, for the next client.
    func testReloadChangesHooksAndRules() throws {
        let first = try HookServer()
        let second = try HookServer()
        defer { first.stop(); second.stop() }
        let base = """
            listen {RTMP};
            daemon off;
            srs_log_tank console;
            pid ./objs/srs.pid;
            worker_processes 2;
            vhost __defaultVhost__ {
                %@
            }
            """
        let srs = try SRSProcess(config: base.replacingOccurrences(of: "%@", with: ""))
        defer { srs.stop() }
        try srs.waitListening()
        func reload(_ vhost: String) throws {
            let applied = srs.log.components(separatedBy: "worker applied the new config").count
            try srs.rewriteConfig(base.replacingOccurrences(of: "%@", with: vhost))
            srs.signal(SIGHUP)
            XCTAssertTrue(Deadline.wait(timeout: 5) { srs.log.components(separatedBy: "worker applied the new config").count >= applied + 2 },
                          srs.log)
        }
        func publish(_ name: String) throws -> RTMPStartProbe.Outcome {
            let p = try RTMPStartProbe(port: srs.rtmpPort, name: name, publish: true)
            p.close()
            return p.outcome
        }
        XCTAssertEqual(try publish("r1"), .started)
        try second.set(["on_publish": "deny"])
        try reload("http_hooks { enabled on; on_publish \(second.url("/p")); }")
        guard case .refused = try publish("r2") else { return XCTFail("not refused after reload") }
        XCTAssertEqual(second.requests("on_publish").map(\.stream), ["r2"])
        try reload("http_hooks { enabled on; on_publish \(first.url("/p")); }")
        XCTAssertEqual(try publish("r3"), .started)
        XCTAssertEqual(first.requests("on_publish").map(\.stream), ["r3"])
        try reload("http_hooks { enabled on; on_publish \(first.url("/p")); } security { enabled on; deny publish 127.0.0.1; }")
        XCTAssertEqual(try publish("r4"), .refused(code: "NetStream.Publish.Denied", description: "denied by security rules"))
        XCTAssertEqual(first.requests("on_publish").count, 1, "security is checked before the hooks")
        try reload("")
        XCTAssertEqual(try publish("r5"), .started)
    }

    /// An edge calls the hooks of its own players (as SRS): a refused play never reaches the
    /// origin; an accepted one is pulled from it.
    func testEdgeCallsHooksForItsPlayers() throws {
        let hooks = try HookServer()
        defer { hooks.stop() }
        let origin = try SRSProcess(config: SRSProcess.basicConfig)
        defer { origin.stop() }
        try origin.waitListening()
        let edge = try SRSProcess(config: """
            listen {RTMP};
            daemon off;
            srs_log_tank console;
            pid ./objs/srs.pid;
            vhost __defaultVhost__ {
                cluster { mode remote; origin 127.0.0.1:\(origin.rtmpPort); }
                http_hooks { enabled on; on_play \(hooks.url("/play")); }
            }
            """)
        defer { edge.stop() }
        try edge.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(origin.rtmpPort)/live/e", seconds: 40)
        defer { pub.stop() }
        try origin.waitForLog("start publish stream", timeout: 10)
        try hooks.set(["on_play": "deny"])
        let refused = try RTMPStartProbe(port: edge.rtmpPort, name: "e?k=no", publish: false)
        refused.close()
        guard case .refused = refused.outcome else { return XCTFail("\(refused.outcome)") }
        XCTAssertFalse(edge.log.contains("edge pull"), "a refused player started a pull")
        try hooks.set([:])
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(edge.rtmpPort)/live/e?k=yes")), ["h264", "aac"])
        XCTAssertEqual(hooks.requests("on_play").map { $0.fields["param"] as? String ?? "" }, ["?k=no", "?k=yes"])
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

extension Thread {
    /// Runs `body` on a new thread; `value(timeout:)` waits for its result.
    static func detachedResult<T>(_ body: @escaping @Sendable () throws -> T) -> ThreadResult<T> {
        let r = ThreadResult<T>()
        Thread { r.set(Result { try body() }) }.start()
        return r
    }
}

final class ThreadResult<T>: @unchecked Sendable {
    private let lock = NSCondition()
    private var result: Result<T, Error>?

    func set(_ r: Result<T, Error>) {
        lock.lock()
        result = r
        lock.broadcast()
        lock.unlock()
    }

    func value(timeout: TimeInterval) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(timeout)
        while result == nil { guard lock.wait(until: deadline) else { throw TestError("no result within \(timeout)s") } }
        return try result!.get()
    }
}
