import XCTest
@testable import App
import Core
import Protocol
@testable import System

/// The hook jobs of one worker: one client's events in order, one at a time; decisions refused
/// at once and informational events dropped (counted) at the bounds.
final class HookServiceTests: XCTestCase {
    let loop = try! EventLoop()

    func service() -> HookService {
        HookService(loop: loop, hosts: HostAddressCache(loop: loop) { nil }, serverID: "vid-test", serviceID: "svc12345",
                    config: { ServerConfig() })
    }

    func client(_ id: String) -> HookClient {
        HookClient(clientID: id, ip: "127.0.0.1", vhost: "__defaultVhost__", app: "live", stream: "s")
    }

    /// A decision waits for the client's earlier informational events, and its URLs are called
    /// in order; another client's decision does not wait for them.
    func testOneClientsJobsRunInOrderOthersBeside() throws {
        let server = try HTTPClientPoolTests.Server(loop: loop)
        let hooks = service()
        let url = "http://127.0.0.1:\(server.port)"
        hooks.inform(.unpublish, urls: ["\(url)/slowish"], client: client("a"), timeoutMs: 300)
        var order: [String] = []
        XCTAssertNotNil(hooks.decide([(.connect, ["\(url)/ok"]), (.publish, ["\(url)/ok"])], client: client("a"), timeoutMs: 1000) {
            order.append("a: \($0 ?? "accepted")")
        })
        XCTAssertNotNil(hooks.decide([(.play, ["\(url)/ok"])], client: client("b"), timeoutMs: 1000) { order.append("b: \($0 ?? "accepted")") })
        XCTAssertTrue(loop.run(timeoutMs: 3000) { order.count == 2 })
        // b did not wait for a's unanswered on_unpublish (300 ms deadline); a did.
        XCTAssertEqual(order, ["b: accepted", "a: accepted"])
        XCTAssertEqual(hooks.failedTotal, 1)
        XCTAssertEqual(hooks.pendingJobs, 0)
    }

    func testNoURLMeansNothingToWaitFor() {
        XCTAssertNil(service().decide([(.connect, []), (.play, [])], client: client("a"), timeoutMs: 1000) { _ in XCTFail() })
    }

    /// Past `maxJobsPerClient` jobs of a client: its next decision is refused at once, its next
    /// informational event dropped and counted.
    func testBoundsFailClosed() throws {
        let server = try HTTPClientPoolTests.Server(loop: loop)
        let hooks = service()
        let slow = "http://127.0.0.1:\(server.port)/slow"
        for _ in 0..<HookService.maxJobsPerClient { hooks.inform(.stop, urls: [slow], client: client("a"), timeoutMs: 60_000) }
        XCTAssertEqual(hooks.pendingJobs, HookService.maxJobsPerClient)
        hooks.inform(.close(sendBytes: 1, recvBytes: 1), urls: [slow], client: client("a"), timeoutMs: 60_000)
        XCTAssertEqual(hooks.droppedTotal, 1)
        var answer: String?
        _ = hooks.decide([(.publish, [slow])], client: client("a"), timeoutMs: 60_000) { answer = $0 ?? "accepted" }
        XCTAssertTrue(loop.run(timeoutMs: 1000) { answer != nil })
        XCTAssertEqual(answer, "http hooks busy")
        XCTAssertEqual(hooks.refusedTotal, 1)
        // Another client is not affected.
        var other: String?
        _ = hooks.decide([(.publish, ["http://127.0.0.1:\(server.port)/ok"])], client: client("b"), timeoutMs: 2000) { other = $0 ?? "accepted" }
        XCTAssertTrue(loop.run(timeoutMs: 2000) { other != nil })
        XCTAssertEqual(other, "accepted")
    }

    /// Every call slot busy and the calls queue full: informational events are dropped
    /// (counted), a decision is refused, after `decide` returned.
    func testFullCallsQueueDropsEventsAndRefusesDecisions() throws {
        let server = try HTTPClientPoolTests.Server(loop: loop)
        let hooks = service()
        let slow = "http://127.0.0.1:\(server.port)/slow"
        let capacity = HookService.poolLimits.maxActive + HookService.poolLimits.maxQueued
        for i in 0..<(capacity + 10) { hooks.inform(.stop, urls: [slow], client: client("c\(i)"), timeoutMs: 60_000) }
        XCTAssertEqual(hooks.droppedTotal, 10)
        var answer: String?
        let decision = hooks.decide([(.publish, [slow])], client: client("late"), timeoutMs: 60_000) { answer = $0 ?? "accepted" }
        XCTAssertNotNil(decision)
        XCTAssertNil(answer, "answered inside decide")
        XCTAssertTrue(loop.run(timeoutMs: 1000) { answer != nil })
        XCTAssertEqual(answer, "on_publish failed")
    }

    /// A cancelled decision never answers, and the client's next job goes on.
    func testCancelledDecisionIsSilent() throws {
        let server = try HTTPClientPoolTests.Server(loop: loop)
        let hooks = service()
        let decision = hooks.decide([(.play, ["http://127.0.0.1:\(server.port)/slow"])], client: client("a"), timeoutMs: 60_000) { _ in
            XCTFail("a cancelled decision answered")
        }
        decision?.cancel()
        var next: String?
        _ = hooks.decide([(.play, ["http://127.0.0.1:\(server.port)/ok"])], client: client("a"), timeoutMs: 2000) { next = $0 ?? "accepted" }
        XCTAssertTrue(loop.run(timeoutMs: 2000) { next != nil })
        XCTAssertEqual(next, "accepted")
    }

    /// The API the DVR wiring calls: on_dvr with the publisher's request, before its on_unpublish;
    /// after the publish ended it finds no publisher.
    func testDVRFileClosedSendsOnDvrBeforeUnpublish() throws {
        let server = try HTTPClientPoolTests.Server(loop: loop)
        var config = ServerConfig()
        var vhost = VhostConfig(name: "__defaultVhost__")
        vhost.hooks.enabled = true
        vhost.hooks.onDvr = ["http://127.0.0.1:\(server.port)/dvr"]
        vhost.hooks.onUnpublish = ["http://127.0.0.1:\(server.port)/unpublish"]
        config.vhosts = [vhost]
        let hooks = HookService(loop: loop, hosts: HostAddressCache(loop: loop) { nil }, serverID: "vid-test", serviceID: "svc12345",
                                config: { config })
        hooks.streamStarted(.publish, client: client("pub"))
        hooks.dvrFileClosed("./objs/nginx/html/live/s.1.flv", publisher: "pub")
        hooks.streamEnded(cid: "pub")
        hooks.dvrFileClosed("./objs/nginx/html/live/s.2.flv", publisher: "pub")
        XCTAssertTrue(loop.run(timeoutMs: 2000) { server.requests.count == 2 && !server.requests[1].body.isEmpty })
        XCTAssertEqual(server.requests.map(\.path), ["/dvr", "/unpublish"])
        let dvr = server.requests[0].body
        XCTAssertTrue(dvr.hasPrefix(#"{"server_id":"vid-test","service_id":"svc12345","action":"on_dvr","client_id":"pub""#), dvr)
        XCTAssertTrue(dvr.contains(#""file":"./objs/nginx/html/live/s.1.flv","stream_url":"/live/s"}"#), dvr)
        XCTAssertTrue(dvr.contains(#""cwd":""#), dvr)
    }

    func testClientTextIsOneShortLine() {
        XCTAssertEqual(HookService.clientText("{\"code\":1,\n\"msg\":\"no\"}"), "{\"code\":1, \"msg\":\"no\"}")
        XCTAssertEqual(HookService.clientText(String(repeating: "x", count: 500)).count, 200)
    }
}
