import XCTest
@testable import System

final class TimerQueueTests: XCTestCase {
    func testDueTimersComeOutByDeadlineAndCancelledOnesDoNot() {
        var q = TimerQueue()
        var fired: [Int] = []
        let c = q.add(deadline: 20) { fired.append(2) }
        _ = q.add(deadline: 30) { fired.append(3) }
        _ = q.add(deadline: 10) { fired.append(1) }
        _ = q.add(deadline: 40) { fired.append(4) }
        q.cancel(c)
        XCTAssertEqual(q.nextDeadline, 10)
        XCTAssertEqual(q.popDue(now: 9), [])
        for id in q.popDue(now: 35) { q.take(id)?() }
        XCTAssertEqual(fired, [1, 3])
        XCTAssertEqual(q.nextDeadline, 40)
    }

    func testACancelledTimerAtTheTopIsSkipped() {
        var q = TimerQueue()
        let first = q.add(deadline: 5) {}
        _ = q.add(deadline: 8) {}
        q.cancel(first)
        XCTAssertEqual(q.nextDeadline, 8, "the cancelled timer no longer decides how long the loop sleeps")
    }

    func testATimerCancelledAfterItWasPoppedIsNotTaken() {
        var q = TimerQueue()
        let a = q.add(deadline: 5) {}
        let b = q.add(deadline: 5) {}
        let due = q.popDue(now: 5)
        XCTAssertEqual(Set(due), [a.raw, b.raw])
        // The first callback of the round cancels the second.
        q.cancel(b)
        XCTAssertNotNil(q.take(a.raw))
        XCTAssertNil(q.take(b.raw))
        XCTAssertNil(q.nextDeadline)
    }

    func testManyTimersKeepTheirOrder() {
        var q = TimerQueue()
        var rng = SystemRandomNumberGenerator()
        var deadlines: [Int64] = []
        for _ in 0..<500 {
            let d = Int64.random(in: 0..<10_000, using: &rng)
            deadlines.append(d)
            _ = q.add(deadline: d) {}
        }
        var out: [Int64] = []
        var now: Int64 = 0
        while let next = q.nextDeadline {
            now = next
            out += q.popDue(now: now).map { _ in now }
        }
        XCTAssertEqual(out, deadlines.sorted())
    }
}
