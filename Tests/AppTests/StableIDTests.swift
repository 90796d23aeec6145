import XCTest
@testable import App

final class StableIDTests: XCTestCase {
    func testStableIDsAreDerivedFromNames() {
        XCTAssertEqual(StableID.make("__defaultVhost__/live/s"), StableID.make("__defaultVhost__/live/s"))
        XCTAssertNotEqual(StableID.make("__defaultVhost__/live/s"), StableID.make("__defaultVhost__/live/t"))
        XCTAssertTrue(StableID.make("x").hasPrefix("vid-"))
        XCTAssertEqual(StableID.make("x").count, 11)
    }
}
