import XCTest
@testable import Kernel

final class FastRandomTests: XCTestCase {
    func testDeterministicPerSeedAndSpread() {
        var a = FastRandom(seed: 42)
        var b = FastRandom(seed: 42)
        var c = FastRandom(seed: 43)
        let xs = (0..<100).map { _ in a.next() }
        XCTAssertEqual(xs, (0..<100).map { _ in b.next() })
        XCTAssertNotEqual(xs, (0..<100).map { _ in c.next() })
        XCTAssertEqual(Set(xs).count, 100)
        // Every byte value shows up in 64 KiB of output.
        var bytes = Set<UInt8>()
        for _ in 0..<8192 { let v = a.next(); for i in 0..<8 { bytes.insert(UInt8(truncatingIfNeeded: v >> (i * 8))) } }
        XCTAssertEqual(bytes.count, 256)
    }
}
