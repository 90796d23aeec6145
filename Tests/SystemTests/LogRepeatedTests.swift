import Foundation
import XCTest
@testable import System

/// The log's rate limit as the server uses it (`Log.warnRepeated`, `Log.flushRepeated` from the
/// worker's tick), on a `ManualClock`: the summary of a window comes out when its 5 s are over.
final class LogRepeatedTests: XCTestCase {
    var file = ""

    override func setUpWithError() throws {
        file = FileManager.default.temporaryDirectory.appendingPathComponent("log-repeated-\(UUID().uuidString).log").path
        try Log.toFile(file)
        // A limiter of its own: other tests of this process spent some of the shared one.
        Log.limiter = LogRateLimiter()
    }

    override func tearDown() {
        Log.toConsole()
        Log.limiterClock = MonotonicClock.shared
        Log.limiter = LogRateLimiter()
        try? FileManager.default.removeItem(atPath: file)
    }

    var lines: [String] { ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

    func testASummaryComesOutWhenTheWindowEnds() {
        let clock = ManualClock(nowMs: Clock.monotonicMs())
        Log.limiterClock = clock
        for i in 0..<12 {
            Log.warnRepeated("log repeated test", "player \(i) too slow", cid: "c\(i)")
            clock.advance(byMs: 100)
        }
        XCTAssertEqual(lines.filter { $0.contains("too slow") }.count, 5, "the first 5 of the window")
        Log.flushRepeated()
        XCTAssertFalse(lines.contains { $0.contains("log repeated test:") }, "the window is still open")
        clock.advance(byMs: 5000)
        Log.flushRepeated()
        let summary = lines.filter { $0.contains("log repeated test:") }
        XCTAssertEqual(summary.count, 1)
        XCTAssertTrue(summary[0].hasSuffix("log repeated test: 7 more in 6s, last cid=c11"), summary[0])
    }
}
