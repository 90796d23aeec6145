import Foundation
import Kernel
import Protocol
import XCTest
@testable import App
@testable import System
#if canImport(Glibc)
import Glibc
#endif

/// A client that sends and never reads must not make a connection queue answers without bound:
/// past a bound of unsent bytes the server stops reading it until the answers drain.
final class ConnectionBackpressureTests: XCTestCase {
    private var loop: EventLoop!
    private var peer: Int32 = -1
    private var dir = ""

    override func setUpWithError() throws {
        loop = try EventLoop()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("backpressure-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() {
        if peer >= 0 { close(peer) }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// The server's end of a socketpair with a small send buffer; `peer` is the client's end.
    private func serverSocket() throws -> StreamSocket {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds), 0)
        var small: Int32 = 16384
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        peer = fds[1]
        return try StreamSocket(fd: fds[0], peerIP: "127.0.0.1", peerPort: 1, loop: loop)
    }

    /// Writes `bytes` over and over from the peer for `ms` while the loop runs, as fast as the
    /// socket takes them, never reading; returns how many bytes went in.
    private func flood(_ bytes: [UInt8], ms: Int64, upTo limit: Int) -> Int {
        var sent = 0
        let feeder = loop.repeating(everyMs: 1) { [peer] in
            for _ in 0..<64 where sent < limit {
                let offset = sent % bytes.count
                let n = bytes.withUnsafeBytes { send(peer, $0.baseAddress! + offset, min($0.count - offset, limit - sent), Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                sent += n
            }
        }
        _ = loop.run(timeoutMs: ms) { false }
        feeder.cancel()
        return sent
    }

    /// Reads what the peer has been sent until `done` holds or `ms` pass.
    private func drain(ms: Int64, until done: @escaping ([UInt8]) -> Bool) -> [UInt8] {
        var got: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        let reader = loop.repeating(everyMs: 1) { [peer] in
            while true {
                let n = buf.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n <= 0 { return }
                got += buf[0..<n]
            }
        }
        _ = loop.run(timeoutMs: ms) { done(got) }
        reader.cancel()
        return got
    }

    func testPipelinedRequestsOfAClientThatDoesNotReadAreNotAnsweredWithoutBound() throws {
        try Data(repeating: 0x42, count: 5_000).write(to: URL(fileURLWithPath: dir + "/big.bin"))
        var config = ServerConfig()
        config.httpServer.enabled = true
        config.httpServer.dir = dir
        let server = Server(config: config, loop: loop)
        let socket = try serverSocket()
        let connection = HTTPConnection(socket: socket, server: server, servesAPI: false, servesFiles: true)
        let request = Array("GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let sent = flood(request, ms: 300, upTo: request.count * 300)
        XCTAssertGreaterThan(sent, request.count * 20, "the peer could not even send a few requests")
        XCTAssertLessThanOrEqual(socket.pendingBytes, HTTPConnection.maxUnsentBytes + 5_500,
                                 "\(socket.pendingBytes) bytes of answers queued for a peer that reads nothing")
        // Once the peer reads, every request it managed to send is answered, in order.
        let requests = sent / request.count
        let status = Array("HTTP/1.1 200".utf8)
        var answered = 0
        var scanned = 0
        let got = drain(ms: 20_000) { got in
            // Only the bytes new since the last look, from a status line's length back, so one
            // split between two looks is counted once.
            let from = max(0, scanned - status.count + 1)
            answered += Self.count(status, in: Array(got[from...]))
            scanned = got.count
            return answered >= requests
        }
        XCTAssertEqual(Self.count(status, in: got), requests)
        XCTAssertFalse(socket.closed)
        withExtendedLifetime(connection) {}
    }

    func testPingsOfAnRTMPClientThatDoesNotReadAreNotAnsweredWithoutBound() throws {
        let server = Server(config: ServerConfig(), loop: loop)
        let socket = try serverSocket()
        let connection = RTMPConnection(socket: socket, server: server)
        var hello = [3] + [UInt8](repeating: 0, count: RTMPHandshake.c0c1Size - 1) + [UInt8](repeating: 0, count: 1536)
        XCTAssertEqual(hello.withUnsafeBytes { send(peer, $0.baseAddress, $0.count, 0) }, hello.count)
        hello = []
        let ping = RTMPChunkEncoder.encode(RTMPControl.userControl(event: RTMPControl.pingRequest, value: 7), chunkSize: 128)
        let pings = [UInt8]([[UInt8]](repeating: ping, count: 1000).joined())
        let sent = flood(pings, ms: 1500, upTo: 16 << 20)
        XCTAssertGreaterThan(sent, 1 << 20, "the peer could not send much")
        XCTAssertLessThan(socket.pendingBytes, RTMPConnection.maxUnsentControlBytes + 128 * 1024,
                          "\(socket.pendingBytes) bytes of pongs queued for a peer that reads nothing")
        XCTAssertLessThan(socket.bytesRead, UInt64(sent), "the server read everything the peer sent")
        // Once the peer reads, the server reads it again and answers every ping.
        let pongs = sent / ping.count
        let got = drain(ms: 20_000) { $0.count >= RTMPHandshake.s0s1s2Size + pongs * ping.count }
        XCTAssertEqual(got.count, RTMPHandshake.s0s1s2Size + pongs * ping.count)
        XCTAssertFalse(socket.closed)
        withExtendedLifetime(connection) {}
    }

    private static func count(_ needle: [UInt8], in hay: [UInt8]) -> Int {
        guard hay.count >= needle.count else { return 0 }
        var n = 0
        var i = 0
        while i <= hay.count - needle.count {
            if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) {
                n += 1
                i += needle.count
            } else {
                i += 1
            }
        }
        return n
    }
}
