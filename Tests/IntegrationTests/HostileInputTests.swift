import Foundation
import Kernel
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Hostile input against the real `srs` (RTMP in `HostileInput+RTMP.swift`, HTTP in
/// `HostileInput+HTTP.swift`): each attack runs on its own connection while ffmpeg publishes
/// `live/live`, and after it the worker is the same process (no crash, no respawn), the API
/// answers, an RTMP player of the live stream gets a keyframe, and the attacker got an error
/// answer or was closed. Random parts come from fixed seeds, so every run sends the same bytes.
final class HostileInputTests: XCTestCase {
    var srs: SRSProcess!
    private var publisher: Tool?
    private(set) var workerPid: Int32 = 0
    /// RTMP attacks made on this test's server: each ends in one `rtmp client error` line, and
    /// the server writes only the first `Self.repeatedLinesPerWindow` of a kind per window.
    var rtmpAttacks = 0
    /// `Log.warnRepeated`: the first 5 lines of a kind in a 5 s window are written in full.
    static let repeatedLinesPerWindow = 5
    /// A file served by http_server (the Range attacks' target) and its bytes.
    private(set) var rangeFile: [UInt8] = []

    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_api { enabled on; listen {API}; }
        http_server { enabled on; listen {HTTP}; dir ./html; }
        vhost __defaultVhost__ {
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
        }
        """

    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        srs = try SRSProcess(config: Self.config)
        var rng = FastRandom(seed: 0xF11E)
        rangeFile = (0..<1000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let html = srs.dir.appendingPathComponent("html")
        try FileManager.default.createDirectory(at: html, withIntermediateDirectories: true)
        try Data(rangeFile).write(to: html.appendingPathComponent("range.bin"))
        try Data(count: 64 * 1024).write(to: html.appendingPathComponent("flood.bin"))
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        try srs.waitListening(srs.apiPort)
        publisher = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/live", seconds: 120)
        try srs.waitForLog("start publish stream", timeout: 10)
        workerPid = try XCTUnwrap(Processes.children(of: srs.pid).first, "no worker:\n\(srs.log)")
    }

    override func tearDown() {
        publisher?.stop()
        srs?.stop()
    }

    // MARK: - After each attack

    /// The worker survived, the API answers and a player of the live stream gets a keyframe.
    func assertHealthy(after attack: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertTrue(srs.process.isRunning, "\(attack): the master is gone", file: file, line: line)
        XCTAssertEqual(Processes.children(of: srs.pid), [workerPid], "\(attack): the worker crashed:\n\(srs.log)", file: file, line: line)
        let log = srs.log
        XCTAssertFalse(log.contains(" died (") || log.contains("respawn"), "\(attack): a worker died:\n\(log)", file: file, line: line)
        do {
            let versions = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/versions")
            XCTAssertEqual(versions["code"] as? Int, 0, "\(attack): API answer \(versions)", file: file, line: line)
        } catch {
            XCTFail("\(attack): API request failed: \(error)", file: file, line: line)
        }
        let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "live")
        defer { player.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 5) { player.keyframes > 0 },
                      "\(attack): RTMP play of the live stream failed: \(player.error ?? "no keyframe")", file: file, line: line)
    }

    /// Log lines written since `offset` (a length of `srs.log` taken before the attack).
    func logSince(_ offset: Int) -> String {
        let log = srs.log
        return offset <= log.utf8.count ? String(decoding: Array(log.utf8)[offset...], as: UTF8.self) : log
    }

    // MARK: - Raw connections

    /// A connection that is closed when the attack ends, whatever happens.
    final class Attacker {
        let fd: Int32
        let localPort: Int

        /// `sendTimeout`: a send that cannot go on for that long returns (the server stopped reading).
        init(port: Int, receiveBuffer: Int32? = nil, sendTimeout: Int? = nil) throws {
            let fd = try RawClient.connect(port: port, receiveBuffer: receiveBuffer)
            if let seconds = sendTimeout {
                var tv = timeval(tv_sec: seconds, tv_usec: 0)
                setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            }
            var addr = sockaddr_in()
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
            self.fd = fd
            localPort = Int(UInt16(bigEndian: addr.sin_port))
        }

        deinit { close(fd) }

        func send(_ bytes: [UInt8]) { RawClient.send(fd, bytes) }

        /// One send(2): the bytes it took, or -1 (timeout, closed).
        func trySend(_ bytes: [UInt8]) -> Int {
            bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// No more bytes from us: the server sees EOF.
        func finishSending() { shutdown(fd, Int32(SHUT_WR)) }

        /// Sends `bytes` over and over until the server stops taking them (a send blocked for the
        /// send timeout), `limit` bytes or `seconds`; then waits until the server stops reading
        /// what is in flight (our unsent queue stays put for half a second). Returns the bytes sent.
        func flood(_ bytes: [UInt8], limit: Int, seconds: TimeInterval) -> Int {
            var sent = 0
            let deadline = Deadline(seconds: seconds)
            while !deadline.hasPassed && sent < limit {
                let n = trySend(bytes)
                if n <= 0 { break }
                sent += n
            }
            var queued = unsentBytes
            _ = Deadline.wait(timeout: 10, every: 0.5) {
                let now = self.unsentBytes
                defer { queued = now }
                return now == queued
            }
            return sent
        }

        /// Bytes we sent that the server has not read yet (TIOCOUTQ).
        var unsentBytes: Int32 {
            var n: Int32 = 0
            _ = ioctl(fd, UInt(TIOCOUTQ), &n)
            return n
        }

        /// Reads until the server closes (true) or `timeout` passes (false); what was read.
        func readUntilClosed(timeout: TimeInterval = 5) -> (bytes: [UInt8], closed: Bool) {
            var out: [UInt8] = []
            let deadline = Deadline(seconds: timeout)
            var buf = [UInt8](repeating: 0, count: 65536)
            while !deadline.hasPassed {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                if poll(&pfd, 1, 50) <= 0 { continue }
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n == 0 || (n < 0 && errno == ECONNRESET) { return (out, true) }
                if n > 0 { out += buf[0..<n] }
            }
            return (out, false)
        }

        /// Reads exactly `count` bytes within `timeout` (fewer if the server closes first).
        func read(_ count: Int, timeout: TimeInterval = 5) -> [UInt8] { RawClient.receive(fd, count: count, timeout: timeout) }
    }
}

extension FastRandom {
    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) } }

    /// A random integer in `range`.
    mutating func int(_ range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.upperBound - range.lowerBound + 1))
    }
}

extension Array {
    /// The elements repeated `n` times.
    func repeated(_ n: Int) -> [Element] { (0..<n).flatMap { _ in self } }
}
