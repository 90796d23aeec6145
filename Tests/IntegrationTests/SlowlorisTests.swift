import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Issue 13, part 4: slow and idle connections must not lock real clients out. 1000 slowloris
/// connections from 16 source addresses (HTTP request heads, RTMP handshakes and RTMP command
/// phases trickled one byte every 5 s, reopened as soon as the server closes them) for 60 s,
/// against 2 workers and `max_connections 1000` with the default deadlines: real RTMP plays,
/// HTTP-FLV plays and API requests made meanwhile succeed, and every slow connection is
/// closed by its deadline.
final class SlowlorisTests: XCTestCase {
    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        max_connections 1000;
        worker_processes 2;
        http_api { enabled on; listen {API}; }
        http_server { enabled on; listen {HTTP}; }
        vhost __defaultVhost__ {
            http_remux { enabled on; }
        }
        """

    /// The defaults (conf/full.conf), plus the server's once-a-second check and this client's
    /// 100 ms poll, with room for a loaded machine.
    static let deadline: [SlowlorisAttack.Kind: Double] = [.httpHead: 10, .rtmpHandshake: 10, .rtmpCommands: 20]
    static let slack = 3.0
    static let attackSeconds = 60.0

    func testSlowlorisDoesNotLockOutRealClients() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        try Self.ensureOpenFiles(2000)
        let srs = try SRSProcess(config: Self.config)
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        try srs.waitListening(srs.apiPort)
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/livestream", seconds: 100)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        XCTAssertNil(HTTPClient.flvPlay(port: srs.httpPort, path: "/live/livestream.flv", timeout: 10))

        let processes = [srs.pid] + Processes.children(of: srs.pid)
        let cpuBefore = processes.map(Processes.cpuSeconds(of:)).reduce(0, +)
        let started = Date()
        let attack = SlowlorisAttack(count: 1000, mix: [.httpHead, .httpHead, .rtmpHandshake, .rtmpCommands],
                                     httpPort: srs.httpPort, rtmpPort: srs.rtmpPort)
        XCTAssertTrue(Deadline.wait(timeout: 15, every: 0.1) { attack.open >= 1000 }, "attack: \(attack.open) open")
        let rtmp = PlayConnectLoop(port: srs.rtmpPort, stream: "livestream", pause: 50_000, timeout: 5)
        let flv = RequestLoop(pause: 50_000) { [port = srs.httpPort] in
            HTTPClient.flvPlay(port: port, path: "/live/livestream.flv")
        }
        let api = RequestLoop(pause: 50_000) { [port = srs.apiPort] in
            do {
                let r = try HTTPClient.request(port: port, path: "/api/v1/versions", timeout: 5)
                return r.status == 200 && r.text.contains("\"code\":0") ? nil : "status \(r.status): \(r.text.prefix(100))"
            } catch {
                return "\(error)"
            }
        }
        // The attack lasts a fixed time; what the clients got meanwhile is measured.
        let left = Self.attackSeconds - Date().timeIntervalSince(started)
        usleep(useconds_t(max(0, left) * 1_000_000))
        rtmp.stop()
        flv.stop()
        api.stop()
        let stillOpen = attack.stop()
        let elapsed = Date().timeIntervalSince(started)
        let cpu = processes.map(Processes.cpuSeconds(of:)).reduce(0, +) - cpuBefore

        // Real clients: at least 99 % of each kind succeeded.
        let rtmpFailures = rtmp.failures.map { $0.failure ?? "" }
        for (name, attempts, failures) in [("RTMP play", rtmp.attempts.count, rtmpFailures),
                                           ("HTTP-FLV play", flv.attempts, flv.failures),
                                           ("API request", api.attempts, api.failures)] {
            let rate = attempts == 0 ? 0 : Double(attempts - failures.count) / Double(attempts)
            print("\(name): \(attempts - failures.count)/\(attempts) succeeded (\(String(format: "%.2f", rate * 100)) %)")
            XCTAssertGreaterThanOrEqual(attempts, 50, "\(name): too few attempts")
            XCTAssertGreaterThanOrEqual(rate, 0.99, "\(name) failures: \(Array(failures.prefix(5)))")
        }

        // Slow connections: every one the server closed was closed by its deadline (or earlier,
        // evicted to make room), and none still open outlived it.
        let closes = attack.closes
        for kind in SlowlorisAttack.Kind.allCases {
            let limit = Self.deadline[kind]! + Self.slack
            let ages = closes.filter { $0.kind == kind }.map(\.age).sorted()
            let atDeadline = ages.filter { $0 >= Self.deadline[kind]! - 0.5 }.count
            let open = stillOpen.filter { $0.0 == kind }.map(\.1)
            print("\(kind.rawValue): \(ages.count) closed by the server, \(atDeadline) at their deadline, \(ages.count - atDeadline) "
                  + "evicted before it; age at close min \(Self.format(ages.first)) median \(Self.format(ages.isEmpty ? nil : ages[ages.count / 2])) "
                  + "max \(Self.format(ages.last)) s; \(open.count) still open, oldest \(Self.format(open.max())) s")
            XCTAssertFalse(ages.isEmpty, "\(kind): the server closed none")
            XCTAssertLessThanOrEqual(ages.last ?? 0, limit, "\(kind): a slow connection outlived its deadline")
            XCTAssertLessThanOrEqual(open.max() ?? 0, limit, "\(kind): a slow connection still open past its deadline")
        }
        print("attack: \(closes.count) closes, \(attack.openFailures) failed connects in \(String(format: "%.1f", elapsed)) s; "
              + "server CPU \(String(format: "%.1f", cpu)) s (\(String(format: "%.0f", cpu / elapsed * 100)) % of a core)")
        // With 1000 slow connections for 1000 places, every new one takes the place of the one
        // waiting longest: slow connections are evicted long before their deadlines (which
        // ClientDeadlineTests shows firing), and no client is refused.
        let log = srs.log
        let logMB = Double(log.utf8.count) / 1_048_576
        let closeLines = log.split(separator: "\n").filter { $0.contains("room made for") || $0.contains("client closed waiting: ") }.count
        print("log: \(String(format: "%.1f", logMB)) MB in all, \(closeLines) lines about evicted slow clients")
        XCTAssertTrue(log.contains("room made for"), "no eviction logged")
        XCTAssertTrue(log.split(separator: "\n").contains { $0.contains("client closed waiting: ") && $0.contains(" more in 5s") },
                      "no eviction summary")
        // Log.warnRepeated: 5 lines and a summary per kind (rtmp, http) per 5 s window per worker.
        XCTAssertLessThan(closeLines, 400, "eviction lines are bounded")
        XCTAssertFalse(log.contains("drop client"), "a client was refused")
    }

    static func format(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "-" }

    /// Raises this process's soft open-file limit for the attacker's sockets (the server
    /// inherits it; its workers raise theirs to max_connections anyway), or skips.
    static func ensureOpenFiles(_ n: Int) throws {
        var rl = rlimit()
        getrlimit(RLIMIT_NOFILE_VALUE, &rl)
        if rl.rlim_cur < rlim_t(n) {
            rl.rlim_cur = min(rl.rlim_max, rlim_t(n))
            setrlimit(RLIMIT_NOFILE_VALUE, &rl)
        }
        try XCTSkipIf(rl.rlim_cur < rlim_t(n), "open file limit \(rl.rlim_cur) below \(n)")
    }
}

#if canImport(Glibc)
/// RLIMIT_NOFILE as Glibc's overlay types it.
let RLIMIT_NOFILE_VALUE = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
#endif
