import XCTest
@testable import App
import Protocol
@testable import System
#if canImport(Glibc)
import Glibc
#endif

/// The pooled HTTP client against an HTTP server on the same loop: keep-alive reuse, the retry
/// of a request the peer closed a reused connection on, deadlines, bounds, truncated bodies.
final class HTTPClientPoolTests: XCTestCase {
    /// Answers each request by its path: `/ok` 200 `0`; `/drop` (on a connection's second
    /// request) closes without an answer; `/slow` never answers; `/slowish` answers after 500 ms;
    /// `/big` 10 KB.
    final class Server {
        let listener: TCPListener
        var port: Int { listener.boundPort }
        private(set) var accepted = 0
        /// Each request's path and body, in arrival order.
        private(set) var requests: [(path: String, body: String)] = []
        private var sockets: [StreamSocket] = []

        init(loop: EventLoop) throws {
            let fd = try TCPListener.bind(host: "127.0.0.1", port: 0, reusePort: false)
            listener = try TCPListener(fd: fd, host: "127.0.0.1", port: 0, loop: loop)
            listener.onAccept = { [unowned self] fd, ip, port in
                guard let s = try? StreamSocket(fd: fd, peerIP: ip, peerPort: port, loop: loop) else { return }
                accepted += 1
                sockets.append(s)
                var parser = HTTPRequestParser()
                var served = 0
                var body: [UInt8] = []
                s.onData = { [unowned self] bytes in
                    guard let events = try? parser.feed(bytes) else { return s.close() }
                    for case .body(let b) in events { body += b }
                    for case .head(let h) in events {
                        served += 1
                        requests.append((h.path, ""))
                        switch h.path {
                        case "/drop" where served > 1: s.close()
                        case "/slow": break
                        case "/slowish":
                            _ = loop.schedule(afterMs: 500) { s.send(Array("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n0".utf8)) }
                        case "/big": s.send(Array("HTTP/1.1 200 OK\r\nContent-Length: 10000\r\n\r\n".utf8) + [UInt8](repeating: 0x41, count: 10_000))
                        default: s.send(Array("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n0".utf8))
                        }
                    }
                    if events.contains(.end), !requests.isEmpty {
                        requests[requests.count - 1].body = String(decoding: body, as: UTF8.self)
                        body = []
                    }
                }
            }
        }
    }

    let loop = try! EventLoop()

    func pool(active: Int = 4, queued: Int = 4) -> HTTPClientPool {
        HTTPClientPool(loop: loop, hosts: HostAddressCache(loop: loop) { nil }, limits: HTTPClientPool.Limits(maxActive: active, maxQueued: queued))
    }

    func request(_ port: Int, _ path: String, timeoutMs: Int64 = 2000) -> HTTPClientRequest {
        HTTPClientRequest(method: "POST", host: "127.0.0.1", port: port, target: path,
                          headers: [HTTPHeader("Host", "127.0.0.1"), HTTPHeader("Content-Length", "2")], body: Array("{}".utf8),
                          timeoutMs: timeoutMs)
    }

    /// Runs `calls` one after the other; their results.
    func run(_ p: HTTPClientPool, _ calls: [HTTPClientRequest]) -> [Result<(HTTPResponseHead, [UInt8]), HTTPCallError>] {
        var results: [Result<(HTTPResponseHead, [UInt8]), HTTPCallError>] = []
        func next() {
            guard results.count < calls.count else { return }
            _ = p.start(calls[results.count]) { r in
                results.append(r)
                next()
            }
        }
        next()
        _ = loop.run(timeoutMs: 5000) { results.count == calls.count }
        return results
    }

    func testKeepAliveReusesOneConnection() throws {
        let server = try Server(loop: loop)
        let p = pool()
        let results = run(p, (0..<3).map { _ in request(server.port, "/ok") })
        XCTAssertEqual(results.compactMap { try? $0.get().1 }, [[0x30], [0x30], [0x30]])
        XCTAssertEqual(server.accepted, 1)
        XCTAssertEqual(p.idleCount, 1)
        XCTAssertEqual(p.active, 0)
    }

    /// The peer closes a kept-alive connection as the next request arrives: sent again once, on
    /// a fresh connection.
    func testRequestOnAConnectionThePeerClosedIsRetriedOnce() throws {
        let server = try Server(loop: loop)
        let results = run(pool(), [request(server.port, "/drop"), request(server.port, "/drop")])
        XCTAssertEqual(results.compactMap { try? $0.get().0.status }, [200, 200], "\(results)")
        XCTAssertEqual(server.accepted, 2)
    }

    func testDeadlineRefusedConnectionAndTruncatedBody() throws {
        let server = try Server(loop: loop)
        let p = pool()
        let started = Clock.monotonicMs()
        let slow = run(p, [request(server.port, "/slow", timeoutMs: 300)])
        guard case .failure(let e)? = slow.first else { return XCTFail("\(slow)") }
        XCTAssertTrue(e.reason.contains("no answer within 300ms"), e.reason)
        XCTAssertLessThan(Clock.monotonicMs() - started, 1000)

        let dead = try TCPListener.bind(host: "127.0.0.1", port: 0, reusePort: false)
        let deadPort = TCPListener.boundPort(of: dead)
        dead.close()
        guard case .failure(let refused)? = run(p, [request(deadPort, "/ok")]).first else { return XCTFail() }
        XCTAssertTrue(refused.reason.contains("connect"), refused.reason)

        var big = request(server.port, "/big")
        big.maxBodyBytes = 64
        big.truncatesBody = true
        XCTAssertEqual(try run(p, [big]).first?.get().1.count, 64)
        var tooBig = request(server.port, "/big")
        tooBig.maxBodyBytes = 64
        guard case .failure? = run(p, [tooBig]).first else { return XCTFail("a body past the bound must fail") }
        XCTAssertEqual(p.active, 0)
    }

    /// At most `maxActive` calls run and `maxQueued` wait; past that a call is refused at once.
    func testBoundsRefuseAtOnce() throws {
        let server = try Server(loop: loop)
        let p = pool(active: 1, queued: 1)
        var finished = 0
        XCTAssertNotNil(p.start(request(server.port, "/slow", timeoutMs: 200)) { _ in finished += 1 })
        XCTAssertNotNil(p.start(request(server.port, "/ok", timeoutMs: 2000)) { _ in finished += 1 })
        XCTAssertEqual(p.queued, 1)
        XCTAssertNil(p.start(request(server.port, "/ok")) { _ in XCTFail("a refused call must not complete") })
        XCTAssertTrue(loop.run(timeoutMs: 3000) { finished == 2 })
        XCTAssertEqual(p.queued, 0)
        XCTAssertEqual(p.active, 0)
    }
}
