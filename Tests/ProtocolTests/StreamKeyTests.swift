import Protocol
import XCTest

final class StreamKeyTests: XCTestCase {
    func testKeysThatRenderAlikeAreOneStream() {
        let key = StreamKey(vhost: "v", app: "live/a", stream: "b")
        XCTAssertEqual(key.description, "v/live/a/b")
        XCTAssertEqual(key.url, "/live/a/b")
        XCTAssertEqual(key, StreamKey(vhost: "v", app: "live", stream: "a/b"))
        XCTAssertEqual(Set([key, StreamKey(vhost: "v", app: "live", stream: "a/b")]).count, 1)
        XCTAssertNotEqual(key, StreamKey(vhost: "w", app: "live/a", stream: "b"))
    }

    func testParsingSplitsAtTheFirstTwoSlashes() {
        let parsed = StreamKey(parsing: "v/live/a/b")
        XCTAssertEqual(parsed?.vhost, "v")
        XCTAssertEqual(parsed?.app, "live")
        XCTAssertEqual(parsed?.stream, "a/b")
        XCTAssertEqual(parsed, StreamKey(vhost: "v", app: "live/a", stream: "b"))
        XCTAssertNil(StreamKey(parsing: "v/live"))
        XCTAssertEqual(StreamKey(parsing: "v//")?.stream, "")
    }
}
