import XCTest
@testable import App

/// `?start=&count=` of the API's lists, from any client: never out of range, never a trap.
final class HTTPAPIPageTests: XCTestCase {
    func testPagesStayInsideTheList() {
        XCTAssertEqual(HTTPAPI.page(start: nil, count: nil, total: 25), 0..<10)
        XCTAssertEqual(HTTPAPI.page(start: "20", count: "10", total: 25), 20..<25)
        XCTAssertEqual(HTTPAPI.page(start: "30", count: "10", total: 25), 25..<25)
        XCTAssertEqual(HTTPAPI.page(start: "-5", count: "-1", total: 25), 0..<0)
        XCTAssertEqual(HTTPAPI.page(start: "x", count: "", total: 25), 0..<10)
    }

    /// `start=1&count=9223372036854775807` with one stream published overflowed `start + count`
    /// and killed the worker (SIGILL) from one unauthenticated GET.
    func testHugeCountsDoNotOverflow() {
        let max = String(Int.max)
        XCTAssertEqual(HTTPAPI.page(start: "1", count: max, total: 2), 1..<2)
        XCTAssertEqual(HTTPAPI.page(start: max, count: max, total: 2), 2..<2)
        XCTAssertEqual(HTTPAPI.page(start: "0", count: max, total: 0), 0..<0)
        XCTAssertEqual(HTTPAPI.page(start: "99999999999999999999999", count: "99999999999999999999999", total: 3), 0..<3)
    }
}
