import XCTest

final class ProtocolTestsSmoke: XCTestCase {
    func testNothing() {}
}
