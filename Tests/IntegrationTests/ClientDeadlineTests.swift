import Foundation
import Kernel
import Protocol
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Each deadline of a client that has not started anything fires, is logged, and spares real
/// clients: an HTTP request head or body trickled byte by byte, an RTMP handshake never
/// finished, an RTMP connection that connects and never publishes or plays. Deadlines of 1.5 s
/// keep the tests short; the server checks once a second.
final class ClientDeadlineTests: XCTestCase {
    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        client_header_timeout 1500;
        client_body_timeout 1500ms;
        rtmp_handshake_timeout 1500;
        rtmp_command_timeout 1500;
        http_api { enabled on; listen {API}; }
        vhost __defaultVhost__ {
        }
        """
    static let deadline = 1.5

    var srs: SRSProcess!

    override func setUpWithError() throws {
        srs = try SRSProcess(config: Self.config)
        try srs.waitListening()
        try srs.waitListening(srs.apiPort)
    }

    override func tearDown() {
        srs?.stop()
    }

    /// Seconds until the server closes `fd` (EOF or reset), sending `drip` bytes one by one
    /// every 300 ms meanwhile; nil if still open after `timeout`.
    func secondsUntilClosed(_ fd: Int32, drip: [UInt8] = [], timeout: TimeInterval = 8, since: Date = Date()) -> Double? {
        let start = since
        var next = 0
        var buf = [UInt8](repeating: 0, count: 65536)
        while Date().timeIntervalSince(start) < timeout {
            if next < drip.count {
                RawClient.send(fd, [drip[next]])
                next += 1
            }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 300) > 0 {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return Date().timeIntervalSince(start) }
            }
        }
        return nil
    }

    func assertClosedByDeadline(_ seconds: Double?, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        guard let s = seconds else { return XCTFail("\(what): still open", file: file, line: line) }
        print("\(what): closed after \(String(format: "%.2f", s)) s")
        XCTAssertGreaterThanOrEqual(s, Self.deadline - 0.1, "\(what): closed before its deadline", file: file, line: line)
        XCTAssertLessThanOrEqual(s, Self.deadline + 2.5, "\(what): closed late", file: file, line: line)
    }

    func testHTTPRequestHeadDeadline() throws {
        let slow = try RawClient.connect(port: srs.apiPort)
        defer { close(slow) }
        let silent = try RawClient.connect(port: srs.apiPort)
        let silentOpened = Date()
        defer { close(silent) }
        // A keep-alive client that got its answer is not waiting for a head: it stays.
        let keepAlive = try RawClient.connect(port: srs.apiPort)
        defer { close(keepAlive) }
        RawClient.send(keepAlive, Array("GET /api/v1/versions HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        XCTAssertFalse(RawClient.receive(keepAlive, count: 12, timeout: 5).isEmpty)
        assertClosedByDeadline(secondsUntilClosed(slow, drip: Array("GET /api/v1/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaa".utf8)),
                               "trickled head")
        assertClosedByDeadline(secondsUntilClosed(silent, timeout: 8, since: silentOpened), "silent HTTP connection")
        XCTAssertNil(secondsUntilClosed(keepAlive, timeout: 0.5), "an idle keep-alive connection has its own 30 s")
        XCTAssertTrue(Deadline.wait(timeout: 2) {
            self.srs.log.contains("request head not complete within 1500ms (client_header_timeout)")
        }, srs.log)
        XCTAssertTrue(srs.log.contains("waiting for its request head, recv=0"), srs.log)
        // Real requests still work.
        XCTAssertEqual(try HTTPClient.get(port: srs.apiPort, path: "/api/v1/versions").status, 200)
    }

    func testHTTPRequestBodyDeadline() throws {
        let fd = try RawClient.connect(port: srs.apiPort)
        defer { close(fd) }
        RawClient.send(fd, Array("POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc".utf8))
        assertClosedByDeadline(secondsUntilClosed(fd, drip: Array(repeating: UInt8(ascii: "d"), count: 20)), "trickled body")
        XCTAssertTrue(Deadline.wait(timeout: 2) {
            self.srs.log.contains("waiting for its request body, recv=")
                && self.srs.log.contains("request body not complete within 1500ms (client_body_timeout)")
        }, srs.log)
    }

    func testRTMPHandshakeDeadline() throws {
        let fd = try RawClient.connect(port: srs.rtmpPort)
        defer { close(fd) }
        let silent = try RawClient.connect(port: srs.rtmpPort)
        let silentOpened = Date()
        defer { close(silent) }
        assertClosedByDeadline(secondsUntilClosed(fd, drip: [3] + [UInt8](repeating: 0, count: 30)), "trickled handshake")
        assertClosedByDeadline(secondsUntilClosed(silent, timeout: 8, since: silentOpened), "silent RTMP connection")
        XCTAssertTrue(Deadline.wait(timeout: 2) {
            self.srs.log.contains("in handshake, recv=") && self.srs.log.contains("handshake not done within 1500ms (rtmp_handshake_timeout)")
        }, srs.log)
    }

    func testRTMPCommandPhaseDeadlineSparesPlayers() throws {
        // A player of a stream nobody publishes yet has started: no deadline for it.
        let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "later")
        defer { player.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 5) { player.statuses.contains("NetStream.Play.Start") })
        let fd = try RawClient.connect(port: srs.rtmpPort)
        defer { close(fd) }
        var rng = SystemRandomNumberGenerator()
        let c0c1 = RTMPHandshake.clientHello(time: 0, using: &rng)
        RawClient.send(fd, c0c1)
        let s = RawClient.receive(fd, count: RTMPHandshake.s0s1s2Size, timeout: 5)
        var out = try RTMPHandshake.clientResponse(c1: Array(c0c1[1...]), s0s1s2: s, using: &rng)
        out += RTMPChunkEncoder.encode(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
            AMF0Property("app", .string("live")), AMF0Property("tcUrl", .string("rtmp://127.0.0.1/live"))])).message(), chunkSize: 128)
        RawClient.send(fd, out)
        assertClosedByDeadline(secondsUntilClosed(fd), "connected, never publishes or plays")
        XCTAssertTrue(Deadline.wait(timeout: 2) {
            self.srs.log.contains("in command phase, recv=") && self.srs.log.contains("no publish or play within 1500ms (rtmp_command_timeout)")
        }, srs.log)
        // Past the deadline (a fixed time is the point): the player stays.
        usleep(1_500_000)
        XCTAssertNil(player.error, "a player is not cut by a start deadline")
    }
}
