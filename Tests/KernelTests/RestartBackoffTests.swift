import XCTest
@testable import Kernel

final class RestartBackoffTests: XCTestCase {
    func testShortRunsWaitLongerUpToThirtySeconds() {
        var b = RestartBackoff()
        XCTAssertEqual((0..<9).map { _ in b.ended(runMs: 100) }, [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000])
        XCTAssertEqual(b.failures, 9)
    }

    func testAHealthyRunResetsTheStreak() {
        var b = RestartBackoff()
        for _ in 0..<4 { _ = b.ended(runMs: 0) }
        XCTAssertEqual(b.ended(runMs: 4999), 8000)
        XCTAssertEqual(b.ended(runMs: 5000), 500)
        b.reset()
        XCTAssertEqual(b.failures, 0)
        var fixed = RestartBackoff(delaysMs: [])
        XCTAssertEqual(fixed.ended(runMs: 0), 3000)
    }
}
