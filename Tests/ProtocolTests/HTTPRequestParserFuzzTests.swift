import Kernel
import XCTest
@testable import Protocol

/// Hostile input: random bytes and mutated requests, fed in random pieces, must only ever end
/// in an `HTTPParseError` with a status a server can answer, never a trap.
final class HTTPRequestParserFuzzTests: XCTestCase {
    func testRandomAndMutatedInputNeverTraps() {
        var rng = FastRandom(seed: 42)
        let statuses: Set<Int> = [400, 413, 414, 431, 501, 505]
        for round in 0..<400 {
            var input: [UInt8]
            if round % 2 == 0 {
                input = (0..<Int(rng.next() % 3000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                input = HTTPRequestParserTests.pipelined
                for _ in 0..<(1 + rng.next() % 8) {
                    input[Int(rng.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            var p = HTTPRequestParser()
            var i = 0
            while i < input.count {
                let n = min(input.count - i, 1 + Int(rng.next() % 64))
                do {
                    _ = try p.feed(Array(input[i..<(i + n)]))
                } catch let e as HTTPParseError {
                    XCTAssertTrue(statuses.contains(e.status), "\(e)")
                    break
                } catch {
                    XCTFail("unexpected \(error)")
                    break
                }
                i += n
            }
        }
    }
}
