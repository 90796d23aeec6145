import XCTest
@testable import Protocol

/// Hostile input: random bytes and mutated requests, fed in random pieces, must only ever end
/// in an `HTTPParseError` with a status a server can answer, never a trap.
final class HTTPRequestParserFuzzTests: XCTestCase {
    func testRandomAndMutatedInputNeverTraps() {
        var rng = SplitMix(seed: 42)
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

/// A small deterministic generator (SplitMix64) so fuzz rounds are reproducible.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
