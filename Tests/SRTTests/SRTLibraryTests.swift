import SRT
import XCTest

final class SRTLibraryTests: XCTestCase {
    func testVersionIsLibsrt15OrLater() {
        SRTLibrary.start()
        let parts = SRTLibrary.version.split(separator: ".").compactMap { Int($0) }
        XCTAssertEqual(parts.count, 3)
        XCTAssertGreaterThanOrEqual(parts[0] * 100 + parts[1], 105, SRTLibrary.version)
    }
}
