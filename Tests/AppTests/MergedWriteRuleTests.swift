import XCTest
@testable import App

final class MergedWriteRuleTests: XCTestCase {
    /// SRS's defaults on a 30 fps + 44.1 kHz AAC stream: a write about every 350 ms of media,
    /// each with well over 8 messages.
    func testDefaultsBatchAboutMwLatencyOfMedia() {
        var rule = MergedWriteRule(minMessages: 8, latencyMs: 350)
        var events: [(UInt32, Bool)] = []
        for ms in stride(from: 0, to: 10_000, by: 1) {
            if ms % 33 == 0 { events.append((UInt32(ms), true)) }
            if ms % 23 == 0 { events.append((UInt32(ms), true)) }
        }
        var writes: [UInt32] = []
        var sizes: [Int] = []
        for (ts, av) in events where rule.queued(timestamp: ts, isAudioOrVideo: av) {
            sizes.append(rule.waiting)
            rule.wrote(lastTimestamp: ts)
            writes.append(ts)
        }
        let spans = zip(writes.dropFirst(), writes).map { Int($0) - Int($1) }.dropFirst()
        XCTAssertTrue(spans.allSatisfy { (351...385).contains($0) }, "\(spans)")
        XCTAssertTrue(sizes.dropFirst().allSatisfy { $0 > 8 }, "\(sizes)")
    }

    func testMessagesAtTimestampZeroDoNotMoveTheSpan() {
        var rule = MergedWriteRule(minMessages: 0, latencyMs: 350)
        XCTAssertFalse(rule.queued(timestamp: 0, isAudioOrVideo: true))
        XCTAssertFalse(rule.queued(timestamp: 500, isAudioOrVideo: true), "the span starts at 500")
        XCTAssertFalse(rule.queued(timestamp: 0, isAudioOrVideo: false))
        XCTAssertTrue(rule.queued(timestamp: 851, isAudioOrVideo: true))
    }

    func testMetadataCountsAsAMessageButNotAsMedia() {
        var rule = MergedWriteRule(minMessages: 2, latencyMs: 100)
        XCTAssertFalse(rule.queued(timestamp: 10, isAudioOrVideo: true))
        XCTAssertFalse(rule.queued(timestamp: 5000, isAudioOrVideo: false))
        XCTAssertTrue(rule.queued(timestamp: 111, isAudioOrVideo: true))
    }

    func testATimestampGoingBackWritesAtOnce() {
        var rule = MergedWriteRule(minMessages: 1, latencyMs: 350)
        XCTAssertFalse(rule.queued(timestamp: 90_000, isAudioOrVideo: true))
        XCTAssertTrue(rule.queued(timestamp: 40, isAudioOrVideo: true), "republish or wrap")
    }

    func testMwMsgsIsBoundedAsInSRS() {
        XCTAssertEqual(MergedWriteRule(minMessages: 5000, latencyMs: 350).minMessages, 128)
        XCTAssertEqual(MergedWriteRule(minMessages: 5000, latencyMs: 350).fallbackMs, 700)
        XCTAssertEqual(MergedWriteRule(minMessages: 0, latencyMs: 0).fallbackMs, 100)
    }
}
