import XCTest
@testable import Kernel

final class TimeJitterTests: XCTestCase {
    private func corrected(_ mode: TimeJitter.Mode, _ times: [Int64]) -> [Int64] {
        var jitter = TimeJitter(mode: mode)
        return times.map { jitter.correct($0) }
    }

    func testFullStartsAtZeroAndReplacesJumps() {
        // A stream starting at 0 keeps its times, small backward steps (audio/video interleave) included.
        XCTAssertEqual(corrected(.full, [0, 0, 23, 40, 46, 40, 80]), [0, 0, 23, 40, 46, 40, 80])
        // SRS's start: the reference is -1, so a first time t ≤ 250 becomes t - 1, a later one 9.
        XCTAssertEqual(corrected(.full, [100, 140]), [99, 139])
        XCTAssertEqual(corrected(.full, [90_000, 90_040, 90_063]), [9, 49, 72])
        // A jump over 250 ms either way counts as 10 ms.
        XCTAssertEqual(corrected(.full, [0, 40, 5_000, 5_040, 1_000, 1_040]), [0, 40, 50, 90, 100, 140])
        // Never below 0.
        XCTAssertEqual(corrected(.full, [0, 200, 0, 0]), [0, 200, 0, 0])
        XCTAssertEqual(corrected(.full, [10, 0]), [9, 0])
    }

    func testZeroSubtractsTheFirstTime() {
        XCTAssertEqual(corrected(.zero, [1_000, 1_040, 990, 60_000]), [0, 40, 0, 59_000])
        XCTAssertEqual(corrected(.zero, [0, 40]), [0, 40])
    }

    func testOffKeepsTimes() {
        XCTAssertEqual(corrected(.off, [5_000, 0, 4_294_967_295]), [5_000, 0, 4_294_967_295])
    }
}
