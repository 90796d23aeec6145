import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// max_connections as the whole server's limit: at capacity the connection waiting longest for
/// its client makes room before anyone is refused; one worker takes clients while the server
/// has room; the count spans worker generations and survives the master's re-exec, and a dead
/// worker's clients are forgotten; running out of descriptors does not spin.
final class ConnectionLimitTests: XCTestCase {
    static func config(max: Int, workers: Int) -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        max_connections \(max);
        worker_processes \(workers);
        http_api { enabled on; listen {API}; }
        vhost __defaultVhost__ {
        }
        """
    }

    /// A client that connects and sends nothing, once the server accepted it.
    func silent(_ srs: SRSProcess) throws -> Int32 {
        let accepted = srs.log.components(separatedBy: "RTMP client ip=").count - 1
        let fd = try RawClient.connect(port: srs.rtmpPort)
        try srs.waitForLog("RTMP client ip=", count: accepted + 1, timeout: 5)
        // Connections' ages are in milliseconds: the next one must be younger.
        usleep(5_000)
        return fd
    }

    /// True once the server closed `fd`, within `timeout`.
    func closedByServer(_ fd: Int32, timeout: TimeInterval = 3) -> Bool {
        Deadline.wait(timeout: timeout) {
            var b = [UInt8](repeating: 0, count: 4096)
            let n = recv(fd, &b, b.count, Int32(MSG_DONTWAIT))
            return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        }
    }

    func startedPlayer(_ port: Int, _ stream: String = "none") -> RTMPTestPlayer {
        let p = RTMPTestPlayer(port: port, stream: stream)
        XCTAssertTrue(Deadline.wait(timeout: 5) { p.statuses.contains("NetStream.Play.Start") }, "player: \(p.error ?? "no Play.Start")")
        return p
    }

    func testAtCapacityTheLongestWaitingMakesRoomAndPlayersNeverDo() throws {
        let srs = try SRSProcess(config: Self.config(max: 4, workers: 1))
        defer { srs.stop() }
        try srs.waitListening()
        var players = [startedPlayer(srs.rtmpPort), startedPlayer(srs.rtmpPort)]
        defer { players.forEach { $0.stop() } }
        let silentA = try silent(srs)
        defer { close(silentA) }
        let silentB = try silent(srs)
        defer { close(silentB) }
        // Full. An API request takes the place of the connection that waited longest.
        XCTAssertEqual(try HTTPClient.get(port: srs.apiPort, path: "/api/v1/versions").status, 200)
        XCTAssertTrue(closedByServer(silentA))
        XCTAssertFalse(closedByServer(silentB, timeout: 0.2))
        let silentC = try silent(srs)
        defer { close(silentC) }
        // Two players take the places of B, then C.
        players.append(startedPlayer(srs.rtmpPort))
        XCTAssertTrue(closedByServer(silentB))
        XCTAssertFalse(closedByServer(silentC, timeout: 0.2))
        players.append(startedPlayer(srs.rtmpPort))
        XCTAssertTrue(closedByServer(silentC))
        // Only players now: nobody to make room, the next client is refused.
        let refused = try RawClient.connect(port: srs.rtmpPort)
        defer { close(refused) }
        XCTAssertTrue(closedByServer(refused))
        try srs.waitForLog("max_connections 4 reached (4 in the server), none waiting", timeout: 2)
        for p in players { XCTAssertNil(p.error) }
        XCTAssertTrue(srs.log.contains("closed after"), srs.log)
        XCTAssertTrue(srs.log.contains("in handshake, recv=0: max_connections 4 reached, room made for 127.0.0.1:"), srs.log)
    }

    func testOneWorkerTakesClientsWhileTheServerHasRoom() throws {
        let srs = try SRSProcess(config: Self.config(max: 20, workers: 2))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)
        // All the load on one worker: the other cannot accept while stopped.
        let workers = Processes.children(of: srs.pid)
        XCTAssertEqual(workers.count, 2)
        kill(workers[1], SIGSTOP)
        var resumed = false
        defer { if !resumed { kill(workers[1], SIGCONT) } }
        var players = (0..<20).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "none") }
        defer { players.forEach { $0.stop() } }
        XCTAssertTrue(Deadline.wait(timeout: 15, every: 0.05) { players.allSatisfy { $0.statuses.contains("NetStream.Play.Start") } },
                      "admitted \(players.filter { $0.statuses.contains("NetStream.Play.Start") }.count) of 20 on one worker: "
                      + "\(players.compactMap(\.error).prefix(3))\n\(srs.log.suffix(2000))")
        let served = srs.log.split(separator: "\n").filter { $0.contains("][\(workers[0])][") && $0.contains("start play stream") }.count
        XCTAssertEqual(served, 20, "every player on the running worker")
        // The server is full: the 21st is refused, whichever worker it lands on.
        let extra = RTMPTestPlayer(port: srs.rtmpPort, stream: "none")
        defer { extra.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 5) { extra.error != nil }, "a 21st client was admitted")
        kill(workers[1], SIGCONT)
        resumed = true
        XCTAssertTrue(srs.log.contains("max_connections 20 reached (20 in the server)"), srs.log)
        // Places freed on one worker are taken on any.
        let closes = srs.log.components(separatedBy: "closed (peer closed)").count - 1
        for p in players.prefix(5) { p.stop() }
        players.removeFirst(5)
        try srs.waitForLog("closed (peer closed)", count: closes + 5, timeout: 5)
        let more = (0..<5).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "none") }
        defer { more.forEach { $0.stop() } }
        XCTAssertTrue(Deadline.wait(timeout: 10, every: 0.05) { more.allSatisfy { $0.statuses.contains("NetStream.Play.Start") } },
                      "\(more.compactMap(\.error))")
    }

    func testTheCountSpansGenerationsAcrossAnUpgradeAndForgetsADeadWorker() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let binDir = FileManager.default.temporaryDirectory.appendingPathComponent("srs-bin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: binDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: binDir) }
        let binary = binDir.appendingPathComponent("srs").path
        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.0")
        let srs = try SRSProcess(config: Self.config(max: 6, workers: 1), binary: binary)
        defer { srs.stop() }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/up", seconds: 60)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let old = (0..<3).map { _ in startedPlayer(srs.rtmpPort, "up") }
        defer { old.forEach { $0.stop() } }
        // The old worker keeps its publisher and 3 players while the new generation takes over.
        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.1")
        srs.signal(SIGUSR2)
        try srs.waitForLog("re-executed as SwiftSRS/1.0.1", timeout: 15)
        XCTAssertFalse(srs.log.contains("connection table"), "the table was not carried across the re-exec:\n\(srs.log)")
        func admitted(_ n: Int) -> [RTMPTestPlayer] {
            let ps = (0..<n).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "none") }
            _ = Deadline.wait(timeout: 5, every: 0.05) { ps.allSatisfy { $0.statuses.contains("NetStream.Play.Start") || $0.error != nil } }
            return ps
        }
        let new = admitted(3)
        defer { new.forEach { $0.stop() } }
        XCTAssertEqual(new.filter { $0.statuses.contains("NetStream.Play.Start") }.count, 2, "6 in all, 4 of them on the old worker")
        // The new worker dies: its clients with it; the respawned one has their places.
        let newWorker = try XCTUnwrap(Processes.children(of: srs.pid).max())
        kill(newWorker, SIGKILL)
        XCTAssertTrue(Deadline.wait(timeout: 5) { srs.log.contains("worker \(newWorker) died") && srs.log.components(separatedBy: " ready, relay=").count >= 4 },
                      srs.log)
        let again = admitted(3)
        defer { again.forEach { $0.stop() } }
        XCTAssertEqual(again.filter { $0.statuses.contains("NetStream.Play.Start") }.count, 2, "the dead worker's places were freed, no more")
        for p in old { XCTAssertNil(p.error) }
    }

    func testRunningOutOfDescriptorsPausesAcceptingInsteadOfSpinning() throws {
        // The server under a 64-descriptor limit it cannot raise.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srs-fd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let wrapper = dir.appendingPathComponent("srs-limited").path
        try "#!/bin/sh\nulimit -n 64\nexec \(SRSBinary.path) \"$@\"\n".write(toFile: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper, 0o755)
        let srs = try SRSProcess(config: Self.config(max: 1000, workers: 1), binary: wrapper)
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitForLog("open file limit 64 (hard 64) is below max_connections 1000", timeout: 5)
        let worker = try XCTUnwrap(Processes.children(of: srs.pid).first)
        // Players hold every descriptor (nothing to evict); more clients wait in the backlog.
        var players: [RTMPTestPlayer] = []
        defer { players.forEach { $0.stop() } }
        // A worker spinning on EMFILE floods the log: look at its size before reading it.
        func logSize() -> Int { (try? FileManager.default.attributesOfItem(atPath: srs.logURL.path)[.size] as? Int) ?? 0 }
        while logSize() < 10_000_000 && !srs.log.contains("pause accepting") && players.count < 80 {
            let p = RTMPTestPlayer(port: srs.rtmpPort, stream: "none")
            players.append(p)
            _ = Deadline.wait(timeout: 2) { p.statuses.contains("NetStream.Play.Start") || p.error != nil || logSize() > 10_000_000 }
        }
        guard logSize() < 10_000_000 else {
            return XCTFail("the log grew past 10 MB with \(players.count) players: the worker spins on EMFILE")
        }
        XCTAssertTrue(srs.log.contains("Too many open files"), srs.log)
        let waiting = (0..<5).compactMap { _ in try? RawClient.connect(port: srs.rtmpPort) }
        defer { waiting.forEach { close($0) } }
        let cpu = Processes.cpuSeconds(of: worker)
        usleep(2_000_000)  // the worker's CPU over a fixed time is what is measured
        let used = Processes.cpuSeconds(of: worker) - cpu
        print("worker CPU while out of descriptors: \(String(format: "%.2f", used)) s in 2 s")
        XCTAssertLessThan(used, 0.3, "the worker spins on a listener it cannot accept from")
        XCTAssertLessThan(srs.log.components(separatedBy: "accept failed").count, 4, "one log line per episode:\n\(srs.log)")
        // Descriptors come back: accepting resumes and says so.
        for p in players.prefix(10) { p.stop() }
        let late = RTMPTestPlayer(port: srs.rtmpPort, stream: "none")
        defer { late.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 5) { late.statuses.contains("NetStream.Play.Start") }, late.error ?? "")
        try srs.waitForLog("accepting again on", timeout: 2)
    }
}
