import XCTest
@testable import App
import Core

/// The request-head/body/keep-alive clock of HTTP connections and the handshake/command clock
/// of RTMP connections, with time injected.
final class ClientDeadlineClockTests: XCTestCase {
    let timeouts = ClientTimeouts()

    func testHTTPHeadDeadlineRunsFromTheAcceptAndIsTotalNotPerRead() {
        var c = HTTPRequestClock(now: 1000)
        XCTAssertEqual(c.phase, .head)
        XCTAssertEqual(c.waitingSince, 1000)
        // One byte every 5 s (slowloris) does not move the deadline.
        for t in stride(from: Int64(1000), through: 11_000, by: 5000) {
            c.observe(handling: false, readingBody: false, headStarted: true, now: t)
        }
        XCTAssertNil(c.overdue(now: 11_000, timeouts: timeouts, keepAliveMs: 30_000))
        XCTAssertEqual(c.overdue(now: 11_001, timeouts: timeouts, keepAliveMs: 30_000),
                       "request head not complete within 10000ms (client_header_timeout)")
    }

    func testHTTPBodyThenHandlingThenKeepAliveThenNextHead() {
        var c = HTTPRequestClock(now: 0)
        c.observe(handling: false, readingBody: true, headStarted: true, now: 100)
        XCTAssertEqual(c.phase, .body)
        XCTAssertEqual(c.waitingSince, 100)
        XCTAssertNil(c.overdue(now: 30_100, timeouts: timeouts, keepAliveMs: 30_000))
        XCTAssertNotNil(c.overdue(now: 30_101, timeouts: timeouts, keepAliveMs: 30_000))
        c.observe(handling: true, readingBody: false, headStarted: false, now: 200)
        XCTAssertEqual(c.phase, .handling)
        XCTAssertNil(c.waitingSince, "an API request being answered is not evicted")
        XCTAssertNil(c.overdue(now: 1_000_000, timeouts: timeouts, keepAliveMs: 30_000), "no deadline while answering")
        c.observe(handling: false, readingBody: false, headStarted: false, now: 300)
        XCTAssertEqual(c.phase, .idle)
        XCTAssertEqual(c.waitingSince, 300)
        XCTAssertEqual(c.overdue(now: 30_301, timeouts: timeouts, keepAliveMs: 30_000), "keep-alive idle for 30000ms")
        // The first byte of the next request starts its head deadline.
        c.observe(handling: false, readingBody: false, headStarted: true, now: 5000)
        XCTAssertEqual(c.phase, .head)
        XCTAssertEqual(c.since, 5000)
        XCTAssertNotNil(c.overdue(now: 15_001, timeouts: timeouts, keepAliveMs: 30_000))
    }

    func testHTTPSilentNewConnectionWaitsForAHeadNotIdle() {
        var c = HTTPRequestClock(now: 0)
        c.observe(handling: false, readingBody: false, headStarted: false, now: 500)
        XCTAssertEqual(c.phase, .head, "no request yet: the head deadline, not the keep-alive one")
        XCTAssertEqual(c.since, 0)
    }

    func testHTTPDeadlinesFollowTheConfig() {
        var t = ClientTimeouts()
        t.httpHeaderMs = 2000
        let c = HTTPRequestClock(now: 0)
        XCTAssertNotNil(c.overdue(now: 2001, timeouts: t, keepAliveMs: 30_000))
    }

    func testRTMPHandshakeThenCommandsThenStarted() {
        var c = RTMPStartClock(now: 0)
        XCTAssertEqual(c.phase, .handshake)
        XCTAssertNil(c.overdue(now: 10_000, timeouts: timeouts))
        XCTAssertEqual(c.overdue(now: 10_001, timeouts: timeouts), "handshake not done within 10000ms (rtmp_handshake_timeout)")
        c.observe(handshakeDone: true, started: false, now: 3000)
        XCTAssertEqual(c.phase, .commands)
        XCTAssertEqual(c.waitingSince, 3000)
        XCTAssertNil(c.overdue(now: 23_000, timeouts: timeouts))
        XCTAssertEqual(c.overdue(now: 23_001, timeouts: timeouts), "no publish or play within 20000ms (rtmp_command_timeout)")
        c.observe(handshakeDone: true, started: true, now: 4000)
        XCTAssertEqual(c.phase, .started)
        XCTAssertNil(c.waitingSince)
        XCTAssertNil(c.overdue(now: 10_000_000, timeouts: timeouts))
        // A client that stopped publishing and stays: the command deadline again, from then.
        c.observe(handshakeDone: true, started: false, now: 60_000)
        XCTAssertEqual(c.phase, .commands)
        XCTAssertNil(c.overdue(now: 80_000, timeouts: timeouts))
        XCTAssertNotNil(c.overdue(now: 80_001, timeouts: timeouts))
    }

    func testRTMPRepeatedObservationsKeepTheStart() {
        var c = RTMPStartClock(now: 0)
        c.observe(handshakeDone: false, started: false, now: 5000)
        c.observe(handshakeDone: false, started: false, now: 9000)
        XCTAssertEqual(c.since, 0)
    }
}
