import XCTest
@testable import App

final class ReconnectPolicyTests: XCTestCase {
    func testRoundRobinAsSRS() {
        var p = ReconnectPolicy()
        XCTAssertEqual((0..<7).map { _ in p.nextIndex(count: 3) }, [0, 1, 2, 0, 1, 2, 0])
        // The list may change size between attempts (DNS): the counter goes on.
        XCTAssertEqual(p.nextIndex(count: 2), 1)
        XCTAssertEqual(p.nextIndex(count: 0), 0)
    }

    func testEveryEndpointOnceAtOnceThenBackoffUpToThreeSeconds() {
        var p = ReconnectPolicy()
        let delays = (0..<9).map { i in p.failed(now: Int64(i) * 10, endpointCount: 2) }
        XCTAssertEqual(delays, [0, 0, 250, 500, 1000, 2000, 3000, 3000, 3000])
        // One origin: one immediate retry, then back off.
        var one = ReconnectPolicy()
        XCTAssertEqual((0..<4).map { _ in one.failed(now: 0, endpointCount: 1) }, [0, 250, 500, 1000])
    }

    func testHealthySessionClearsTheStreakButAFlappingOneDoesNot() {
        var p = ReconnectPolicy()
        for _ in 0..<5 { _ = p.failed(now: 0, endpointCount: 1) }
        // Streamed for 200 ms: still flapping, the backoff keeps growing.
        p.streaming(now: 1000)
        XCTAssertEqual(p.failed(now: 1200, endpointCount: 1), 3000)
        // Streamed for 5 s: a fresh start, retry at once.
        p.streaming(now: 2000)
        p.streaming(now: 3000)  // only the first call counts
        XCTAssertEqual(p.failed(now: 7000, endpointCount: 1), 0)
        XCTAssertEqual(p.failureStreak, 1)
        XCTAssertEqual(p.failed(now: 7001, endpointCount: 1), 250)
    }

    func testCustomBackoff() {
        var p = ReconnectPolicy(backoffMs: [], healthyAfterMs: 10)
        XCTAssertEqual(p.failed(now: 0, endpointCount: 1), 0)
        XCTAssertEqual(p.failed(now: 0, endpointCount: 1), 3000)
    }
}
