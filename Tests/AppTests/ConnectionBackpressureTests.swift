import Foundation
import Kernel
import Protocol
import XCTest
@testable import App
import Core
@testable import System

/// A client that sends and never reads must not make a connection queue answers without bound:
/// past a bound of unsent bytes the server stops reading it until the answers drain.
final class ConnectionBackpressureTests: XCTestCase {
    func testPipelinedRequestsOfAClientThatDoesNotReadAreNotAnsweredWithoutBound() throws {
        let loop = try EventLoop()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("backpressure-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(repeating: 0x42, count: 5_000).write(to: URL(fileURLWithPath: dir + "/big.bin"))
        var config = ServerConfig()
        config.httpServer.enabled = true
        config.httpServer.dir = dir
        let server = Server(config: config, loop: loop)
        let peer = try LoopPeer(loop: loop)
        let socket = peer.serverSocket
        let connection = HTTPConnection(socket: socket, services: server.httpServices, servesAPI: false, servesFiles: true)
        let request = Array("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let sent = peer.flood(request, ms: 3_000, upTo: request.count * 300)
        XCTAssertGreaterThan(sent, request.count * 20, "the peer could not even send a few requests")
        XCTAssertLessThanOrEqual(socket.pendingBytes, HTTPConnection.maxUnsentBytes + 5_500,
                                 "\(socket.pendingBytes) bytes of answers queued for a peer that reads nothing")
        // Once the peer reads, every request it managed to send is answered, in order.
        let requests = sent / request.count
        let status = Array("HTTP/1.1 200".utf8)
        var answered = 0
        var scanned = 0
        let got = peer.drain(ms: 20_000) { got in
            // Only the bytes new since the last look, from a status line's length back, so one
            // split between two looks is counted once.
            let from = max(0, scanned - status.count + 1)
            answered += LoopPeer.count(status, in: Array(got[from...]))
            scanned = got.count
            return answered >= requests
        }
        XCTAssertEqual(LoopPeer.count(status, in: got.bytes), requests)
        XCTAssertFalse(socket.closed)
        withExtendedLifetime(connection) {}
    }

    func testPingsOfAnRTMPClientThatDoesNotReadAreNotAnsweredWithoutBound() throws {
        let loop = try EventLoop()
        let server = Server(config: ServerConfig(), loop: loop)
        let peer = try LoopPeer(loop: loop)
        let socket = peer.serverSocket
        let connection = RTMPConnection(socket: socket, services: server.rtmpServices)
        let hello = [3] + [UInt8](repeating: 0, count: RTMPHandshake.c0c1Size - 1) + [UInt8](repeating: 0, count: 1536)
        XCTAssertEqual(hello.withUnsafeBytes { send(peer.fd, $0.baseAddress, $0.count, 0) }, hello.count)
        let ping = RTMPChunkEncoder.encode(RTMPControl.userControl(event: RTMPControl.pingRequest, value: 7), chunkSize: 128)
        let pings = [UInt8]([[UInt8]](repeating: ping, count: 1000).joined())
        let sent = peer.flood(pings, ms: 10_000, upTo: 16 << 20)
        XCTAssertGreaterThan(sent, RTMPConnection.maxUnsentControlBytes, "the peer could not send much")
        XCTAssertLessThan(socket.pendingBytes, RTMPConnection.maxUnsentControlBytes + 64 * 1024,
                          "\(socket.pendingBytes) bytes of pongs queued for a peer that reads nothing")
        XCTAssertLessThan(socket.bytesRead, UInt64(sent), "the server read everything the peer sent")
        // Once the peer reads, the server reads it again and answers every ping.
        let expected = RTMPHandshake.s0s1s2Size + sent / ping.count * ping.count
        let got = peer.drain(ms: 20_000) { $0.count >= expected }
        XCTAssertEqual(got.bytes.count, expected)
        XCTAssertFalse(socket.closed)
        withExtendedLifetime(connection) {}
    }
}
