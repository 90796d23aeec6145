import XCTest
@testable import System

/// The loop's timers on a `ManualClock`: nothing waits for the wall clock.
final class EventLoopTimerTests: XCTestCase {
    var clock: ManualClock!
    var loop: EventLoop!

    override func setUpWithError() throws {
        clock = ManualClock()
        loop = try EventLoop(clock: clock)
    }

    override func tearDown() {
        loop = nil
        clock = nil
    }

    /// Moves the clock by `ms` and runs one iteration of the loop.
    func advance(_ ms: Int64) {
        clock.advance(byMs: ms)
        loop.runOnce()
    }

    func testATimerFiresAtItsDeadlineNotBefore() {
        var fired: [Int] = []
        loop.schedule(afterMs: 30) { fired.append(3) }
        loop.schedule(afterMs: 10) { fired.append(1) }
        let cancelled = loop.schedule(afterMs: 20) { fired.append(2) }
        loop.cancel(cancelled)
        advance(9)
        XCTAssertEqual(fired, [])
        advance(1)
        XCTAssertEqual(fired, [1])
        XCTAssertEqual(loop.now, clock.nowMs)
        advance(100)
        XCTAssertEqual(fired, [1, 3])
    }

    func testATimerCancelledByAnEarlierOneOfTheSameRoundDoesNotRun() {
        var ran = false
        var second = TimerID(raw: 0)
        loop.schedule(afterMs: 5) { [loop] in loop!.cancel(second) }
        second = loop.schedule(afterMs: 5) { ran = true }
        advance(5)
        XCTAssertFalse(ran)
    }

    func testATimerScheduledByATimerRunsInALaterRound() {
        var fired: [String] = []
        loop.schedule(afterMs: 10) { [loop] in
            fired.append("a")
            loop!.schedule(afterMs: 0) { fired.append("b") }
        }
        advance(10)
        XCTAssertEqual(fired, ["a"])
        loop.runOnce()
        XCTAssertEqual(fired, ["a", "b"])
    }

    func testARepeatingTimerFiresEveryIntervalUntilCancelled() {
        var ticks = 0
        let t = loop.repeating(everyMs: 100) { ticks += 1 }
        for _ in 0..<5 { advance(100) }
        XCTAssertEqual(ticks, 5)
        advance(50)
        XCTAssertEqual(ticks, 5)
        t.cancel()
        advance(1000)
        XCTAssertEqual(ticks, 5)
    }

    func testARepeatingTimerCancelledFromItsOwnCallbackStops() {
        var ticks = 0
        var t: RepeatingTimer?
        t = loop.repeating(everyMs: 10) {
            ticks += 1
            if ticks == 3 { t?.cancel() }
        }
        for _ in 0..<10 { advance(10) }
        XCTAssertEqual(ticks, 3)
    }

    func testEndOfIterationTasksRunAfterTheTimersOfTheirIteration() {
        var order: [String] = []
        loop.schedule(afterMs: 1) { [loop] in
            order.append("timer")
            loop!.runSoon { order.append("soon") }
        }
        loop.runSoon { order.append("first soon") }
        advance(1)
        XCTAssertEqual(order, ["timer", "first soon", "soon"])
    }
}
