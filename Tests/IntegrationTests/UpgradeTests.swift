import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Hot binary upgrade (SIGUSR2): new workers from the binary on disk, old ones drain, the master
/// re-executes itself in place; rollback on a broken binary; stale sources released.
final class UpgradeTests: XCTestCase {
    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        worker_processes 2;
        http_api { enabled on; listen {API}; }
        vhost __defaultVhost__ {
        }
        """

    /// A private copy of the binary, so the test can replace it on disk.
    func privateBinary() throws -> (dir: URL, path: String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srs-bin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("srs").path
        try BinaryStamp.copy(SRSBinary.path, to: path, version: "1.0.0")
        return (dir, path)
    }

    func testUpgradeUnderLoadDropsNothing() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let (binDir, binary) = try privateBinary()
        defer { try? FileManager.default.removeItem(at: binDir) }
        let srs = try SRSProcess(config: Self.config, binary: binary)
        defer { srs.stop() }
        try srs.waitListening()
        let masterPID = srs.pid
        let oldWorkers = Set(Processes.children(of: masterPID))
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/up", seconds: 60)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let players = (0..<8).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "up") }
        defer { players.forEach { $0.stop() } }
        XCTAssertTrue(Deadline.wait(timeout: 15) { players.allSatisfy { $0.keyframes > 0 } })
        players.forEach { $0.resetGap() }

        // Continuous new connections (TCP + RTMP handshake) every few ms during the upgrade.
        let connector = ConnectLoop(port: srs.rtmpPort)
        defer { connector.stop() }
        try Deadline.require("connects before the upgrade", timeout: 5) { connector.attempts >= 20 }

        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.1")
        srs.signal(SIGUSR2)
        try srs.waitForLog("re-executed as SwiftSRS/1.0.1", timeout: 15)
        let atReexec = connector.attempts
        try Deadline.require("connects after the re-exec", timeout: 10) { connector.attempts >= atReexec + 100 }
        connector.stop()
        XCTAssertGreaterThan(connector.attempts, 100)
        XCTAssertEqual(connector.failures, 0, "failed connects during the upgrade: \(connector.lastError ?? "")")

        // Same master, now running the new version; new workers serve the API.
        XCTAssertTrue(Processes.isAlive(masterPID))
        XCTAssertEqual(try String(contentsOfFile: srs.dir.appendingPathComponent("objs/srs.pid").path, encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines), "\(masterPID)")
        let (_, version) = try Tool.run("/proc/\(masterPID)/exe", ["-v"], timeout: 5)
        XCTAssertEqual(version.trimmingCharacters(in: .whitespacesAndNewlines), "1.0.1")
        let versions = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/versions")
        XCTAssertEqual((versions["data"] as? [String: Any])?["version"] as? String, "1.0.1")

        // Old players never noticed; a new player (on a new worker) plays the stream still
        // published on an old worker.
        print("upgrade: \(connector.attempts) connects during it, \(connector.failures) failed; "
              + "largest player gap \(Int((players.map(\.maxGap).max() ?? 0) * 1000)) ms")
        for p in players {
            XCTAssertNil(p.error)
            XCTAssertLessThan(p.maxGap, 1.0)
        }
        let late = RTMPTestPlayer(port: srs.rtmpPort, stream: "up")
        defer { late.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 10) { late.keyframes > 0 }, "late player: \(late.error ?? "no media")\n\(srs.log)")

        // Once the publisher leaves, the old workers have nothing to serve and exit.
        pub.stop()
        XCTAssertTrue(Deadline.wait(timeout: 10) { Set(Processes.children(of: masterPID)).isDisjoint(with: oldWorkers) },
                      "old workers still running:\n\(srs.log)")
        XCTAssertEqual(Processes.children(of: masterPID).count, 2)
    }

    func testUpgradeToABrokenBinaryRollsBack() throws {
        let (binDir, binary) = try privateBinary()
        defer { try? FileManager.default.removeItem(at: binDir) }
        let srs = try SRSProcess(config: Self.config, binary: binary)
        defer { srs.stop() }
        try srs.waitListening()
        XCTAssertTrue(Deadline.wait(timeout: 5) { Processes.children(of: srs.pid).count == 2 })
        let workers = Set(Processes.children(of: srs.pid))
        // A "new version" that cannot run.
        try "#!/bin/sh\necho broken >&2\nexit 1\n".write(toFile: binary + ".tmp", atomically: true, encoding: .utf8)
        chmod(binary + ".tmp", 0o755)
        XCTAssertEqual(rename(binary + ".tmp", binary), 0)
        srs.signal(SIGUSR2)
        try srs.waitForLog("upgrade failed, rolled back", timeout: 10)
        // The new workers are gone; the old ones keep serving.
        XCTAssertTrue(Deadline.wait(timeout: 5) { Set(Processes.children(of: srs.pid)) == workers },
                      "children \(Processes.children(of: srs.pid)), old workers \(workers)")
        XCTAssertTrue(TCPProbe.canConnect(port: srs.rtmpPort))
        XCTAssertEqual(try HTTPClient.get(port: srs.apiPort, path: "/api/v1/versions").status, 200)
    }

    func testStreamChurnReleasesSources() throws {
        let srs = try SRSProcess(config: Self.config.replacingOccurrences(of: "worker_processes 2;", with: "worker_processes 1;"))
        defer { srs.stop() }
        try srs.waitListening()
        func workerRSS() -> Int { Processes.children(of: srs.pid).reduce(0) { $0 + Memory.rssKB(pid: $1) } }
        // Four publishers at a time: 10 000 publishes take ~30 s instead of ~2 min.
        let port = srs.rtmpPort
        func churn(_ range: Range<Int>) throws {
            let firstError = ErrorBox()
            DispatchQueue.concurrentPerform(iterations: 4) { lane in
                for i in stride(from: range.lowerBound + lane, to: range.upperBound, by: 4) {
                    do {
                        try RTMPTestPublisher.publishOnce(port: port, stream: "churn\(i)")
                    } catch {
                        firstError.set(error)
                        return
                    }
                }
            }
            if let e = firstError.error { throw e }
        }
        try churn(0..<1000)
        // Sources are released 3 s after they die (SRS: "cleanup die source").
        XCTAssertTrue(Deadline.wait(timeout: 10, every: 0.2) {
            (try? HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/streams/?count=10000"))
                .map { ($0["streams"] as? [Any])?.isEmpty ?? false } ?? false
        })
        let base = workerRSS()
        try churn(1000..<10000)
        XCTAssertTrue(Deadline.wait(timeout: 10, every: 0.2) {
            (try? HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/streams/?count=10000"))
                .map { ($0["streams"] as? [Any])?.isEmpty ?? false } ?? false
        }, "sources not released")
        let after = workerRSS()
        print("worker RSS after 1k publishes: \(base) KB, after 10k: \(after) KB")
        XCTAssertLessThan(Double(after), Double(base) * 1.10, "RSS grew from \(base) KB to \(after) KB")
        XCTAssertTrue(srs.log.contains("Live: cleanup die source"))
    }
}

/// Opens a connection every few ms and completes an RTMP handshake on it, counting failures.
final class ConnectLoop: @unchecked Sendable {
    private let lock = NSLock()
    private var _attempts = 0
    private var _failures = 0
    private var _lastError: String?
    private var running = true

    init(port: Int) {
        Thread { [self] in
            while lock.withLock({ running }) {
                var failed: String?
                if let fd = try? RawClient.connect(port: port) {
                    RawClient.send(fd, [3] + [UInt8](repeating: 1, count: 1536))
                    let s = RawClient.receive(fd, count: 3073, timeout: 3)
                    if s.count != 3073 { failed = "handshake got \(s.count) bytes" }
                    close(fd)
                } else {
                    failed = "connect refused"
                }
                lock.withLock {
                    _attempts += 1
                    if let failed { _failures += 1; _lastError = failed }
                }
                usleep(3_000)  // a new connection every few ms: the pace is the point
            }
        }.start()
    }

    var attempts: Int { lock.withLock { _attempts } }
    var failures: Int { lock.withLock { _failures } }
    var lastError: String? { lock.withLock { _lastError } }
    func stop() { lock.withLock { running = false } }
}

/// The first error of concurrent work.
final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Error?
    var error: Error? { lock.withLock { first } }
    func set(_ e: Error) { lock.withLock { if first == nil { first = e } } }
}
