import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A Kubernetes edge Deployment simulated on loopback (docs/kubernetes.md, "Simulated on
/// loopback"): an origin, edges pulling from it, HAProxy as the Service (round robin, readiness
/// checks on `/readyz`, endpoints changed through its admin socket). A rolling update under
/// continuous viewer arrivals drops nothing; a canary shows both `server_version`s to players.
/// Releases are stamped copies of the built binary (BinaryStamp): origin 0.0.9, edges 1.0.0 and
/// 1.0.1, so the version a player sees names the edge that serves it.
final class RollingUpdateTests: XCTestCase {
    /// Clients, HAProxy and publishers, stopped last started first; then the servers; then the
    /// releases' directories.
    private var cleanups: [() -> Void] = []
    private var servers: [SRSProcess] = []
    private var dirs: [URL] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(HAProxy.available, "haproxy not installed (tools/test.sh installs it)")
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
    }

    /// Every process is stopped by pid. The servers get SIGINT together first (a fast quit: SIGTERM
    /// would be a graceful one, `force_grace_quit on`, a second each), then `stop()`.
    override func tearDown() {
        cleanups.reversed().forEach { $0() }
        for s in servers where s.process.isRunning { s.signal(SIGINT) }
        servers.forEach { $0.stop() }
        dirs.forEach { try? FileManager.default.removeItem(at: $0) }
        (cleanups, servers, dirs) = ([], [], [])
        super.tearDown()
    }

    static let originVersion = "0.0.9"
    static let stream = "livestream"

    /// The edge pods' config: SRS guide's graceful-quit settings (700/800 ms, shorter final wait
    /// here), SIGTERM graceful as in the manifests.
    static func edgeConfig(origin: SRSProcess) -> String {
        """
        force_grace_quit on;
        grace_start_wait 700;
        grace_final_wait 300;
        """ + ClusterConfigs.edge(origins: ["127.0.0.1:\(origin.rtmpPort)"])
    }

    /// Releases of the built binary by version, in a temp dir.
    private func releases(_ versions: [String]) throws -> [String: String] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srs-releases-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        dirs.append(dir)
        var paths: [String: String] = [:]
        for v in versions {
            paths[v] = dir.appendingPathComponent("srs-\(v)").path
            try BinaryStamp.copy(SRSBinary.path, to: paths[v]!, version: v)
        }
        return paths
    }

    private func start(_ config: String, binary: String?) throws -> SRSProcess {
        let srs = try SRSProcess(config: config, binary: binary)
        servers.append(srs)
        try srs.waitListening()
        try srs.waitListening(srs.apiPort)
        return srs
    }

    /// The origin with a live ffmpeg publisher of `stream`.
    private func startOrigin(_ bin: [String: String]) throws -> SRSProcess {
        let origin = try start(ClusterConfigs.origin(), binary: bin[Self.originVersion])
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(origin.rtmpPort)/live/\(Self.stream)", seconds: 90)
        cleanups.append { pub.stop() }
        try origin.waitForLog("start publish stream")
        return origin
    }

    private func startLB(_ backends: [HAProxy.Backend]) throws -> HAProxy {
        let lb = try HAProxy(backends: backends)
        cleanups.append { lb.stop() }
        try lb.waitHealthy(backends.map(\.name))
        return lb
    }

    private func players(_ n: Int, port: Int) -> [RTMPTestPlayer] {
        let players = (0..<n).map { _ in RTMPTestPlayer(port: port, stream: Self.stream) }
        cleanups.append { players.forEach { $0.stop() } }
        return players
    }

    private func ms(_ t: TimeInterval) -> Int { Int((t * 1000).rounded()) }

    /// maxSurge 1 / maxUnavailable 0, two pods at a time: E3 and E4 (1.0.1) start and become
    /// endpoints once ready; then E1 and E2 (1.0.0) go, the two ways Kubernetes takes a pod out:
    /// E1's endpoint is removed and it gets the kubelet's SIGTERM (`force_grace_quit on`), E2
    /// only gets the preStop SIGQUIT and HAProxy learns it from `/readyz` turning 503 during
    /// `grace_start_wait`. Meanwhile a new viewer plays every ~20 ms through HAProxy: none may
    /// fail. The ten viewers already on E1/E2 keep playing, without a gap, while their edges
    /// drain; when they leave, the old edges exit 0.
    func testRollingUpdateDropsNothing() throws {
        let bin = try releases([Self.originVersion, "1.0.0", "1.0.1"])
        let origin = try startOrigin(bin)
        let e1 = try start(Self.edgeConfig(origin: origin), binary: bin["1.0.0"])
        let e2 = try start(Self.edgeConfig(origin: origin), binary: bin["1.0.0"])
        let lb = try startLB([HAProxy.Backend("e1", e1), HAProxy.Backend("e2", e2)])

        let viewers = players(10, port: lb.port)
        XCTAssertTrue(Deadline.wait(timeout: 15) { viewers.allSatisfy { $0.keyframes > 0 } },
                      "viewers: \(viewers.map { $0.error ?? "\($0.keyframes) keyframes" })")
        XCTAssertEqual(Set(viewers.map(\.serverVersion)), ["1.0.0"], "the edge's version, not the origin's")
        let sessions = try lb.servers().mapValues { Int($0["scur"] ?? "") ?? -1 }
        XCTAssertEqual(sessions, ["e1": 5, "e2": 5], "round robin")
        viewers.forEach { $0.resetGap() }

        let arrivals = PlayConnectLoop(port: lb.port, stream: Self.stream)
        cleanups.append { arrivals.stop() }
        try Deadline.require("arrivals on the old edges", timeout: 10) { arrivals.attempts.filter { $0.version == "1.0.0" }.count > 5 }

        // Surge: the new pods start, and become endpoints once their readiness probe passes.
        let e3 = try start(Self.edgeConfig(origin: origin), binary: bin["1.0.1"])
        let e4 = try start(Self.edgeConfig(origin: origin), binary: bin["1.0.1"])
        try lb.add(HAProxy.Backend("e3", e3))
        try lb.add(HAProxy.Backend("e4", e4))
        try lb.waitHealthy(["e3", "e4"])
        try Deadline.require("an arrival on the new edges", timeout: 10) { arrivals.attempts.contains { $0.version == "1.0.1" } }

        // The old pods go.
        let gapBefore = viewers.map(\.maxGap).max() ?? 0
        viewers.forEach { $0.resetGap() }
        let quitAt = Date()
        try lb.setState("e1", "maint")
        e1.signal(SIGTERM)
        e2.signal(SIGQUIT)
        let e2Out = try lb.wait("e2", "status", timeout: 3) { $0.hasPrefix("DOWN") }
        let outAt = Date()
        XCTAssertLessThan(e2Out, 0.7, "HAProxy must see /readyz fail before the listeners close (grace_start_wait)")
        XCTAssertTrue(lb.log.contains("edges/e2 is DOWN, reason: Layer7 wrong status, code: 503"), lb.log)
        try e1.waitForLog("force gracefully quit, signo=15", timeout: 2)
        try e2.waitForLog("listeners closed", timeout: 3)
        try e1.waitForLog("listeners closed", timeout: 3)

        // Draining: the old edges' viewers go on while the stream lives (for a fixed time: that
        // nothing cuts them meanwhile is the point).
        usleep(3_000_000)
        let drained = Date().timeIntervalSince(quitAt)
        XCTAssertTrue(e1.process.isRunning && e2.process.isRunning, "old edges must wait for their viewers")
        XCTAssertTrue(e1.log.contains("conns to quit") && e2.log.contains("conns to quit"),
                      String(e1.log.suffix(3000) + e2.log.suffix(3000)))
        for v in viewers {
            XCTAssertNil(v.error, "a viewer of an old edge was cut")
            XCTAssertLessThan(v.maxGap, 1.0)
        }
        let maxGap = viewers.map(\.maxGap).max() ?? 0

        // The viewers leave; the old edges finish their graceful quit.
        let leftAt = Date()
        viewers.forEach { $0.stop() }
        XCTAssertEqual(e1.waitExit(timeout: 5), 0, String(e1.log.suffix(4000)))
        XCTAssertEqual(e2.waitExit(timeout: 5), 0, String(e2.log.suffix(4000)))
        let exitedAfter = Date().timeIntervalSince(leftAt)
        for e in [e1, e2] { XCTAssertTrue(e.log.contains("srs gracefully quit"), String(e.log.suffix(3000))) }
        // Their endpoints go for good (HAProxy deletes a server in maintenance with no session left).
        try lb.setState("e2", "maint")
        for name in ["e1", "e2"] {
            XCTAssertTrue(Deadline.wait(timeout: 3) { (try? lb.delete(name)) != nil },
                          "del server \(name): \(String(describing: try? lb.servers()[name]))")
        }
        XCTAssertEqual(Set(try lb.servers().keys), ["e3", "e4"])

        let deletedAt = Date()
        try Deadline.require("arrivals after the old edges left", timeout: 10) {
            arrivals.attempts.filter { $0.start > deletedAt }.count >= 5
        }
        arrivals.stop()
        let all = arrivals.attempts
        let failures = all.filter { $0.failure != nil }
        let after = all.filter { $0.start > outAt }
        let firstFrames = all.compactMap(\.firstKeyframe).sorted()
        let counts = Dictionary(grouping: all.compactMap(\.version), by: { $0 }).mapValues(\.count)
        print("""
            rolling update: \(all.count) viewer arrivals through haproxy, \(failures.count) failed, versions \(counts.sorted { $0.key < $1.key }); \
            first keyframe median \(ms(firstFrames.isEmpty ? 0 : firstFrames[firstFrames.count / 2])) ms, max \(ms(firstFrames.last ?? 0)) ms; \
            e2 out of haproxy \(ms(e2Out)) ms after SIGQUIT; 10 viewers kept on the old edges \(ms(drained)) ms, max gap \(ms(maxGap)) ms (\(ms(gapBefore)) ms before the update); \
            old edges exited \(ms(exitedAfter)) ms after their viewers left
            """)
        XCTAssertEqual(failures.count, 0,
                       "failed plays: \(failures.prefix(5).map { "\($0.failure ?? "") at +\(ms($0.start.timeIntervalSince(quitAt))) ms" })")
        XCTAssertGreaterThan(all.count, 50)
        XCTAssertGreaterThan(counts["1.0.0"] ?? 0, 5)
        XCTAssertGreaterThan(after.count, 20)
        XCTAssertEqual(Set(after.map(\.version)), ["1.0.1"], "arrivals after the old edges left the Service")
    }

    /// SRS's canary: a second Deployment (1 replica, 1.0.1) shares the Service with the stable
    /// one (3 replicas, 1.0.0). Players see both versions in their metadata, the canary for about
    /// a quarter of them; the seed's check (`ffmpeg -i rtmp://... 2>&1 | grep server_version`)
    /// sees both too.
    func testCanaryShowsBothVersions() throws {
        let bin = try releases([Self.originVersion, "1.0.0", "1.0.1"])
        let origin = try startOrigin(bin)
        var backends: [HAProxy.Backend] = []
        for (i, version) in ["1.0.0", "1.0.0", "1.0.0", "1.0.1"].enumerated() {
            let edge = try start(Self.edgeConfig(origin: origin), binary: bin[version])
            backends.append(HAProxy.Backend(i < 3 ? "stable\(i)" : "canary", edge))
        }
        let lb = try startLB(backends)

        // Direct to the origin: its own version. Through the edges: theirs (the edge rewrites it).
        let direct = players(1, port: origin.rtmpPort)[0]
        XCTAssertTrue(Deadline.wait(timeout: 10) { direct.serverVersion != nil }, direct.error ?? "no metadata")
        XCTAssertEqual(direct.serverVersion, Self.originVersion)

        let viewers = players(12, port: lb.port)
        XCTAssertTrue(Deadline.wait(timeout: 15) { viewers.allSatisfy { $0.keyframes > 0 && $0.serverVersion != nil } },
                      "viewers: \(viewers.map { $0.error ?? "\($0.keyframes) keyframes" })")
        let versions = viewers.compactMap(\.serverVersion)
        let canary = versions.filter { $0 == "1.0.1" }.count
        XCTAssertEqual(Set(versions), ["1.0.0", "1.0.1"])
        XCTAssertGreaterThanOrEqual(canary, 1)
        XCTAssertLessThanOrEqual(canary, viewers.count / 2)

        // The seed's check, four times: round robin sends one to each edge.
        var seen: [String] = []
        for _ in 0..<4 {
            let (_, out) = try Tool.run("ffmpeg", ["-hide_banner", "-rw_timeout", "5000000", "-f", "flv",
                                                   "-i", "rtmp://127.0.0.1:\(lb.port)/live/\(Self.stream)"], timeout: 10)
            let line = out.split(separator: "\n").first { $0.contains("server_version") }
            seen.append(line.map { $0.split(separator: ":").last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "" } ?? "none")
        }
        print("canary: \(canary) of \(viewers.count) players on 1.0.1, the rest on 1.0.0; ffmpeg's server_version: \(seen)")
        XCTAssertEqual(seen.sorted(), ["1.0.0", "1.0.0", "1.0.0", "1.0.1"])
    }
}
