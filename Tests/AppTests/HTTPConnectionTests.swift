import Foundation
import XCTest
@testable import App
import Core
@testable import System

/// Answers of one HTTP connection, in order, over a socketpair.
final class HTTPConnectionTests: XCTestCase {
    /// A bad request pipelined behind good ones is answered once, after them, and the connection
    /// closes. (Each answer goes on with the next request from inside the previous one, and each
    /// of those nested calls answered the refused request again: 400 three times here.)
    func testABadRequestBehindGoodOnesIsAnsweredOnceAndLast() throws {
        let loop = try EventLoop()
        let server = Server(config: ServerConfig(), loop: loop)
        let peer = try LoopPeer(loop: loop)
        let connection = HTTPConnection(socket: peer.serverSocket, services: server.httpServices, servesAPI: false, servesFiles: true)
        let good = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        let raw = Array((good + good + "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n" + good).utf8)
        XCTAssertEqual(raw.withUnsafeBytes { send(peer.fd, $0.baseAddress, $0.count, 0) }, raw.count)
        let (bytes, closed) = peer.drain(ms: 5_000)
        XCTAssertTrue(closed)
        let text = String(decoding: bytes, as: UTF8.self)
        let statuses = text.components(separatedBy: "HTTP/1.1 ").dropFirst().map { $0.prefix(3) }
        XCTAssertEqual(statuses, ["200", "200", "400"], text)
        withExtendedLifetime(connection) {}
    }
}
