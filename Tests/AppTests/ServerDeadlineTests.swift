import Core
import Foundation
import XCTest
@testable import App
@testable import System
#if canImport(Glibc)
import Glibc
#endif

/// Deadlines of clients that start nothing, through the worker's once-a-second tick, on a
/// `ManualClock`: a minute of slow client costs no wall-clock time.
final class ServerDeadlineTests: XCTestCase {
    var clock: ManualClock!
    var loop: EventLoop!
    var server: Server!

    override func setUpWithError() throws {
        clock = ManualClock()
        loop = try EventLoop(clock: clock)
        var config = ServerConfig()
        config.vhosts = [VhostConfig(name: VhostConfig.defaultName)]
        server = Server(config: config, loop: loop)
        try server.start(listeners: [])
    }

    override func tearDown() {
        server.closeAll()
        server = nil
        loop = nil
    }

    /// Moves the clock a second at a time, running the loop each time.
    func advance(seconds: Int) {
        for _ in 0..<seconds {
            clock.advance(byMs: 1000)
            loop.runOnce()
        }
    }

    func closedByServer(_ peer: LoopPeer) -> Bool {
        var byte: UInt8 = 0
        return recv(peer.fd, &byte, 1, Int32(MSG_DONTWAIT)) == 0
    }

    func send(_ peer: LoopPeer, _ text: String) {
        let bytes = Array(text.utf8)
        XCTAssertEqual(bytes.withUnsafeBytes { Glibc.send(peer.fd, $0.baseAddress, $0.count, 0) }, bytes.count)
        loop.runOnce()
    }

    func testAnHTTPRequestHeadTricklingInIsClosedAtItsDeadline() throws {
        let peer = try LoopPeer(loop: loop)
        server.connections.add(HTTPConnection(socket: peer.serverSocket, services: server.httpServices, servesAPI: true, servesFiles: true))
        send(peer, "GET /api/v1/versions HTTP/1.1\r\n")
        for header in ["Host: x\r\n", "A: b\r\n", "C: d\r\n"] {
            advance(seconds: 3)
            send(peer, header)
        }
        XCTAssertFalse(closedByServer(peer), "9 s: within client_header_timeout (10 s)")
        advance(seconds: 2)
        XCTAssertTrue(closedByServer(peer), "a byte now and then does not move the deadline")
        XCTAssertEqual(server.connectionCount, 0)
    }

    func testAnRTMPHandshakeNeverFinishedIsClosedAtItsDeadline() throws {
        let peer = try LoopPeer(loop: loop)
        server.connections.add(RTMPConnection(socket: peer.serverSocket, services: server.rtmpServices))
        send(peer, "\u{3}")
        advance(seconds: 10)
        XCTAssertFalse(closedByServer(peer), "10 s: rtmp_handshake_timeout is not over yet")
        advance(seconds: 1)
        XCTAssertTrue(closedByServer(peer))
    }
}
