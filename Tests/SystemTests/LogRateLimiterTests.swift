import XCTest
@testable import System

final class LogRateLimiterTests: XCTestCase {
    func testFirstLinesThenOneSummaryPerWindow() {
        var l = LogRateLimiter(windowMs: 5000, linesPerWindow: 3)
        var written = 0
        for i in 0..<100 {
            XCTAssertEqual(l.endedWindows(now: Int64(i * 10)), [])
            if l.admit(kind: "player too slow", cid: "c\(i)", now: Int64(i * 10), bytes: { 100 }) { written += 1 }
        }
        XCTAssertEqual(written, 3)
        XCTAssertEqual(l.endedWindows(now: 4999), [], "the window is still open")
        let s = l.endedWindows(now: 5000)
        XCTAssertEqual(s, [LogRateLimiter.Summary(kind: "player too slow", count: 97, spanMs: 5000, lastCID: "c99")])
        XCTAssertEqual(s.first?.line, "player too slow: 97 more in 5s, last cid=c99")
        XCTAssertEqual(l.openWindows, 0)
        // The next occurrence opens a new window, written in full again.
        XCTAssertTrue(l.admit(kind: "player too slow", cid: "d", now: 5001, bytes: { 100 }))
        XCTAssertEqual(l.endedWindows(now: 20_000), [], "nothing suppressed: no summary")
        XCTAssertEqual(l.openWindows, 0)
    }

    func testKindsAreCountedApart() {
        var l = LogRateLimiter(windowMs: 1000, linesPerWindow: 1)
        XCTAssertTrue(l.admit(kind: "a", cid: "1", now: 0, bytes: { 10 }))
        XCTAssertTrue(l.admit(kind: "b", cid: "2", now: 0, bytes: { 10 }))
        XCTAssertFalse(l.admit(kind: "a", cid: "3", now: 100, bytes: { 10 }))
        XCTAssertFalse(l.admit(kind: "a", cid: "4", now: 200, bytes: { 10 }))
        XCTAssertFalse(l.admit(kind: "b", cid: "5", now: 300, bytes: { 10 }))
        let s = l.endedWindows(now: 1500)
        XCTAssertEqual(s.map(\.kind).sorted(), ["a", "b"])
        XCTAssertEqual(s.first { $0.kind == "a" }?.count, 2)
        XCTAssertEqual(s.first { $0.kind == "a" }?.lastCID, "4")
        XCTAssertEqual(s.first { $0.kind == "b" }?.count, 1)
        XCTAssertEqual(s.first { $0.kind == "a" }?.line, "a: 2 more in 2s, last cid=4")
    }

    func testSuppressedMessagesAreNeverFormatted() {
        var l = LogRateLimiter(windowMs: 1000, linesPerWindow: 2)
        var formatted = 0
        for i in 0..<1000 { _ = l.admit(kind: "k", cid: "", now: Int64(i), bytes: { formatted += 1; return 10 }) }
        XCTAssertEqual(formatted, 2)
    }

    func testTheByteBudgetBoundsEveryKindTogether() {
        var l = LogRateLimiter(windowMs: 5000, linesPerWindow: 5, budgetBytesPerSecond: 1000, budgetBurstBytes: 3000)
        // Three long lines fit the saved budget, the fourth does not, whatever its kind.
        XCTAssertTrue(l.admit(kind: "a", cid: "", now: 0, bytes: { 1000 }))
        XCTAssertTrue(l.admit(kind: "b", cid: "", now: 0, bytes: { 1000 }))
        XCTAssertTrue(l.admit(kind: "c", cid: "", now: 0, bytes: { 1000 }))
        XCTAssertFalse(l.admit(kind: "d", cid: "x", now: 0, bytes: { 1000 }))
        XCTAssertFalse(l.admit(kind: "a", cid: "", now: 500, bytes: { 1000 }))
        // One second later one more line fits.
        XCTAssertTrue(l.admit(kind: "a", cid: "", now: 1000, bytes: { 1000 }))
        XCTAssertFalse(l.admit(kind: "a", cid: "", now: 1000, bytes: { 1000 }))
        // What the budget refused is in the summaries.
        let s = l.endedWindows(now: 5000)
        XCTAssertEqual(s.first { $0.kind == "d" }?.count, 1)
        XCTAssertEqual(s.first { $0.kind == "a" }?.count, 2)
        // Saved budget is capped at the burst: after an hour, three lines again, not thousands.
        var n = 0
        for _ in 0..<10 where l.admit(kind: "e", cid: "", now: 3_600_000, bytes: { 1000 }) { n += 1 }
        XCTAssertEqual(n, 3)
    }

    /// Lines of each connection (no count per window) are written while the budget lasts: a
    /// burst of a thousand players joining passes whole, a flood of connections does not.
    func testConnectionLinesAreBoundedByTheBudgetOnly() {
        var l = LogRateLimiter()
        var written = 0
        // A thousand players join within 0.3 s: three lines each, about 410 bytes.
        for i in 0..<3000 where l.admit(kind: "start play stream", cid: "", now: Int64(i / 10), maxLines: .max, bytes: { 137 }) {
            written += 1
        }
        XCTAssertEqual(written, 3000, "within the saved burst")
        written = 0
        for i in 0..<100_000 where l.admit(kind: "rtmp client closed", cid: "", now: 1000 + Int64(i / 10), maxLines: .max, bytes: { 130 }) {
            written += 1
        }
        // 10 s of 10 000 closes a second: what was left of the burst, then 6 KiB a second.
        XCTAssertLessThan(written * 130, 512 * 1024 - 3000 * 137 + 11 * 6 * 1024)
        XCTAssertEqual(l.endedWindows(now: 20_000).first { $0.kind == "rtmp client closed" }?.count, 100_000 - written)
    }

    /// Workers that write one log share the budget: together they stay under the bound.
    func testWorkersShareTheBudget() {
        var l = LogRateLimiter()
        l.share(among: 2)
        XCTAssertEqual(l.budgetBytesPerSecond, LogRateLimiter.logBytesPerSecond / 2)
        XCTAssertEqual(l.budgetBurstBytes, LogRateLimiter.logBurstBytes / 2)
        var written = 0
        for _ in 0..<10_000 where l.admit(kind: "k", cid: "", now: 0, maxLines: .max, bytes: { 1024 }) { written += 1 }
        XCTAssertEqual(written, 256, "half of the 512 KiB burst")
        l.share(among: 0)
        XCTAssertEqual(l.budgetBurstBytes, LogRateLimiter.logBurstBytes, "at least one worker")
    }

    /// The bound: whatever clients do, the lines they cause grow the log by less than
    /// 1 MB a minute. Simulated: 15 kinds of warnings, each 1000 occurrences a second, lines of
    /// 300 bytes (and one kind of 8 KiB lines), plus 10 000 connection lines a second, for 10
    /// minutes.
    func testAFloodOfEveryKindStaysUnderOneMegabyteAMinute() {
        var l = LogRateLimiter()
        var bytesPerMinute: [Int] = Array(repeating: 0, count: 10)
        for ms in stride(from: 0, to: 600_000, by: 1) {
            let now = Int64(ms)
            let minute = ms / 60_000
            for s in l.endedWindows(now: now) { bytesPerMinute[minute] += s.line.utf8.count + 50 }
            let kind = ms % 16
            let size = kind == 15 ? 8192 : 300
            if l.admit(kind: "kind \(kind)", cid: "abcdefgh", now: now, bytes: { size }) { bytesPerMinute[minute] += size }
            for _ in 0..<10 where l.admit(kind: "rtmp client closed", cid: "abcdefgh", now: now, maxLines: .max, bytes: { 130 }) {
                bytesPerMinute[minute] += 130
            }
        }
        for (minute, bytes) in bytesPerMinute.enumerated() {
            XCTAssertLessThan(bytes, 1_000_000, "minute \(minute): \(bytes) bytes")
        }
        XCTAssertLessThan(bytesPerMinute.dropFirst().max() ?? 0, 440_000, "after the first minute: 6 KiB/s and summaries")
        XCTAssertLessThanOrEqual(l.openWindows, 17)
    }
}
