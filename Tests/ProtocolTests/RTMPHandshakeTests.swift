import Kernel
import XCTest
@testable import Protocol

/// A deterministic generator so handshake bytes are reproducible.
struct SeededRNG: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return state
    }
}

final class RTMPHandshakeTests: XCTestCase {
    func testComplexRoundTripValidatesBothWays() throws {
        var rng = SeededRNG(state: 1)
        let c0c1 = RTMPHandshake.clientHello(time: 0, using: &rng)
        XCTAssertEqual(c0c1.count, 1537)
        XCTAssertEqual(Array(c0c1[5..<9]), [9, 0, 124, 2])
        let (s0s1s2, complex) = try RTMPHandshake.serverResponse(c0c1: c0c1, time: 7, using: &rng)
        XCTAssertTrue(complex)
        XCTAssertEqual(s0s1s2.count, 3073)
        // S1 signed with the server key; version byte high enough that ffmpeg validates it.
        let s1 = s0s1s2[1..<1537]
        XCTAssertGreaterThanOrEqual(s1[s1.startIndex + 5], 3)
        XCTAssertNotNil(RTMPHandshake.findDigest(s1, key: RTMPHandshake.serverKey[0..<36]))
        // S2's last 32 bytes = HMAC(HMAC(FMS key, C1 digest), S2 without them), as ffmpeg checks.
        let c1 = c0c1[1...]
        let (_, cpos) = try XCTUnwrap(RTMPHandshake.findDigest(c1, key: RTMPHandshake.playerKey[0..<30]))
        let key = HMACSHA256.authenticationCode(key: RTMPHandshake.serverKey, message: c1[(c1.startIndex + cpos)..<(c1.startIndex + cpos + 32)])
        let s2 = Array(s0s1s2[1537...])
        XCTAssertEqual(HMACSHA256.authenticationCode(key: key, message: s2[0..<1504]), Array(s2[1504...]))
        // The client builds a complex C2.
        let (c2, signed) = try RTMPHandshake.clientExchange(c1: Array(c1), s0s1s2: s0s1s2, using: &rng)
        XCTAssertTrue(signed)
        XCTAssertEqual(c2.count, 1536)
        XCTAssertNotEqual(c2, Array(s1))
    }

    func testSchemaZeroClientIsAnsweredComplex() throws {
        var rng = SeededRNG(state: 2)
        let (c1, _) = RTMPHandshake.signedPacket(time: 0, version: [10, 0, 45, 2], schema: .keyFirst,
                                                 key: RTMPHandshake.playerKey[0..<30], using: &rng)
        let (resp, complex) = try RTMPHandshake.serverResponse(c0c1: [3] + c1, time: 0, using: &rng)
        XCTAssertTrue(complex)
        let s1 = resp[1..<1537]
        let found = try XCTUnwrap(RTMPHandshake.findDigest(s1, key: RTMPHandshake.serverKey[0..<36]))
        XCTAssertEqual(found.0, .keyFirst)
    }

    func testDigestPositionFromOffsetBytes() {
        var p = [UInt8](repeating: 0, count: 1536)
        p[8] = 200; p[9] = 200; p[10] = 200; p[11] = 200  // 800 % 728 = 72
        XCTAssertEqual(RTMPHandshake.digestPosition(p[...], schema: .digestFirst), 8 + 4 + 72)
        p[772] = 1
        XCTAssertEqual(RTMPHandshake.digestPosition(p[...], schema: .keyFirst), 772 + 4 + 1)
    }

    func testSimpleClientGetsEcho() throws {
        var rng = SeededRNG(state: 3)
        let c1 = (0..<1536).map { UInt8(truncatingIfNeeded: $0) }
        var zeroVersion = c1
        zeroVersion[4..<8] = [0, 0, 0, 0]
        let (resp, complex) = try RTMPHandshake.serverResponse(c0c1: [3] + zeroVersion, time: 0, using: &rng)
        XCTAssertFalse(complex)
        XCTAssertEqual(Array(resp[1537...]), zeroVersion)
        // An unsigned client with a non-zero version is also answered simply.
        let (resp2, complex2) = try RTMPHandshake.serverResponse(c0c1: [3] + c1, time: 0, using: &rng)
        XCTAssertFalse(complex2)
        XCTAssertEqual(Array(resp2[1537...]), c1)
        // And our client echoes a simple server's S1.
        let (c2, signed) = try RTMPHandshake.clientExchange(c1: c1, s0s1s2: resp2, using: &rng)
        XCTAssertFalse(signed)
        XCTAssertEqual(c2, Array(resp2[1..<1537]))
        XCTAssertEqual(try RTMPHandshake.clientResponse(c1: c1, s0s1s2: resp2, using: &rng), c2)
    }

    func testBadVersionAndTruncationThrow() {
        var rng = SeededRNG(state: 4)
        XCTAssertThrowsError(try RTMPHandshake.serverResponse(c0c1: [6] + [UInt8](repeating: 0, count: 1536), time: 0, using: &rng))
        XCTAssertThrowsError(try RTMPHandshake.serverResponse(c0c1: [3, 0, 0], time: 0, using: &rng))
        XCTAssertThrowsError(try RTMPHandshake.clientResponse(c1: [], s0s1s2: [3], using: &rng))
    }
}
