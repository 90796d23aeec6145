import Glibc
import XCTest
@testable import System

final class DNSResolverTests: XCTestCase {
    func testLiteralsNeedNoLookupAndNamesResolveOffTheLoop() throws {
        let loop = try EventLoop()
        let r = try DNSResolver(loop: loop)
        XCTAssertTrue(DNSResolver.isIPLiteral("10.0.0.1"))
        XCTAssertTrue(DNSResolver.isIPLiteral("::1"))
        XCTAssertFalse(DNSResolver.isIPLiteral("localhost"))
        XCTAssertFalse(DNSResolver.isIPLiteral("10.0.0.256"))
        var literal: [String]?
        var names: [[String]] = []
        var bad: DNSError?
        var inside = true
        r.resolve("10.1.2.3") { literal = try? $0.get(); XCTAssertFalse(inside, "callbacks never run inside resolve") }
        // Two lookups of one name share one thread.
        r.resolve("localhost") { if case .success(let a) = $0 { names.append(a) } }
        r.resolve("localhost") { if case .success(let a) = $0 { names.append(a) } }
        XCTAssertEqual(r.runningThreads, 1)
        r.resolve("") { if case .failure(let e) = $0 { bad = e } }
        inside = false
        let guardTimer = loop.schedule(afterMs: 5000) { loop.stop() }
        let poll = loop.repeating(everyMs: 5) { if names.count == 2 && literal != nil && bad != nil { loop.stop() } }
        loop.run()
        poll.cancel()
        loop.cancel(guardTimer)
        XCTAssertEqual(literal, ["10.1.2.3"])
        XCTAssertEqual(names.count, 2)
        XCTAssertTrue(names.first?.contains("127.0.0.1") ?? false, "\(names)")
        XCTAssertEqual(bad?.reason, "invalid name")
        XCTAssertEqual(r.runningThreads, 0)
        // Closing with nothing pending, and resolving after close, are safe.
        r.close()
        var closed: DNSError?
        r.resolve("localhost") { if case .failure(let e) = $0 { closed = e } }
        loop.schedule(afterMs: 20) { loop.stop() }
        loop.run()
        XCTAssertEqual(closed?.reason, "resolver closed")
    }

    func testConnectorsToUnixAndTCPPeers() throws {
        let loop = try EventLoop()
        let name = "@swiftsrs-connector-test-\(getpid())"
        let listening = try TCPListener.bind(unixPath: name, backlog: 4)
        var results: [String: String] = [:]
        StreamSocket.connect(unixPath: name, loop: loop) { r in
            results["unix"] = (try? r.get()).map { _ in "ok" } ?? "fail"
        }
        StreamSocket.connect(unixPath: "@swiftsrs-nobody-\(getpid())", loop: loop) { r in
            if case .failure(let e) = r { results["missing"] = "\(e.errno)" }
        }
        // A cancelled attempt never calls back.
        let cancelled = SocketConnector.tcp(ip: "127.0.0.1", port: 9, loop: loop, timeoutMs: 1000) { _ in results["cancelled"] = "called" }
        cancelled.cancel()
        let tfd = try TCPListener.bind(host: "127.0.0.1", port: 0, reusePort: false)
        let port = TCPListener.boundPort(of: tfd)
        tfd.close()
        SocketConnector.tcp(ip: "127.0.0.1", port: port, loop: loop, timeoutMs: 1000) { r in
            if case .failure(let e) = r { results["refused"] = "\(e.errno)" }
        }
        loop.schedule(afterMs: 300) { loop.stop() }
        loop.run()
        XCTAssertEqual(results["unix"], "ok")
        XCTAssertEqual(results["missing"], "\(ECONNREFUSED)")
        XCTAssertEqual(results["refused"], "\(ECONNREFUSED)")
        XCTAssertNil(results["cancelled"])
        withExtendedLifetime(listening) {}
    }
}
