import XCTest

final class AppTestsSmoke: XCTestCase {
    func testNothing() {}
}
