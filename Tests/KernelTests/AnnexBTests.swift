import XCTest
@testable import Kernel

final class AnnexBTests: XCTestCase {
    private let config = AVCDecoderConfig(sps: [[0x67, 0x64, 0x00, 0x1E]], pps: [[0x68, 0xEB]])
    private let aud: [UInt8] = [0, 0, 0, 1, 0x09, 0xF0]

    private func avcc(_ nals: [[UInt8]], lengthSize: Int = 4) -> [UInt8] {
        var out: [UInt8] = []
        for n in nals {
            for k in stride(from: lengthSize - 1, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: n.count >> (8 * k))) }
            out += n
        }
        return out
    }

    func testKeyframeGetsAUDAndParameterSets() throws {
        let idr: [UInt8] = [0x65, 0x88, 0x84, 0x00]
        let sei: [UInt8] = [0x06, 0x05, 0x01, 0xFF]
        let out = try AnnexB.fromAVCC(payload: avcc([sei, idr]), nalLengthSize: 4, config: config, keyframe: true)
        XCTAssertEqual(out, aud + [0, 0, 0, 1, 0x67, 0x64, 0x00, 0x1E] + [0, 0, 0, 1, 0x68, 0xEB]
            + [0, 0, 0, 1] + sei + [0, 0, 0, 1] + idr)
    }

    func testInterFrameGetsOnlyAUD() throws {
        let slice: [UInt8] = [0x41, 0x9A, 0x00]
        let out = try AnnexB.fromAVCC(payload: avcc([slice]), nalLengthSize: 4, config: config, keyframe: false)
        XCTAssertEqual(out, aud + [0, 0, 0, 1] + slice)
    }

    func testFrameCarryingItsOwnSPSIsNotGivenASecondOne() throws {
        let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x1F]
        let pps: [UInt8] = [0x68, 0xCB]
        let idr: [UInt8] = [0x65, 0x11]
        let out = try AnnexB.fromAVCC(payload: avcc([sps, pps, idr]), nalLengthSize: 4, config: config, keyframe: true)
        XCTAssertEqual(out, aud + [0, 0, 0, 1] + sps + [0, 0, 0, 1] + pps + [0, 0, 0, 1] + idr)
    }

    func testExistingAUDsAndEmptyNALsAreDropped() throws {
        let slice: [UInt8] = [0x41, 0x01]
        let out = try AnnexB.fromAVCC(payload: avcc([[0x09, 0x30], [], slice]), nalLengthSize: 4, config: nil, keyframe: true)
        XCTAssertEqual(out, aud + [0, 0, 0, 1] + slice)
        XCTAssertEqual(AnnexB.nalUnits(in: out).filter { $0.first == 0x09 }.count, 1)
    }

    func testShortLengthSizesAndSlices() throws {
        let slice: [UInt8] = [0x41, 0x02, 0x03]
        for size in 1...4 {
            let payload = [0x27, 0x01, 0, 0, 0] + avcc([slice, slice], lengthSize: size)
            let out = try AnnexB.fromAVCC(payload: payload[5...], nalLengthSize: size, config: config, keyframe: false)
            XCTAssertEqual(out, aud + [0, 0, 0, 1] + slice + [0, 0, 0, 1] + slice, "length size \(size)")
        }
    }

    func testBadLengthsThrow() {
        XCTAssertThrowsError(try AnnexB.fromAVCC(payload: [0, 0, 0, 9, 0x65], nalLengthSize: 4, config: config, keyframe: true)) {
            XCTAssertEqual($0 as? KernelError, .truncated("NAL unit of 9 bytes, 1 left"))
        }
        XCTAssertThrowsError(try AnnexB.fromAVCC(payload: avcc([[0x41]]) + [0, 0], nalLengthSize: 4, config: nil, keyframe: false))
        XCTAssertThrowsError(try AnnexB.fromAVCC(payload: [UInt8](), nalLengthSize: 4, config: nil, keyframe: false))
        XCTAssertThrowsError(try AnnexB.fromAVCC(payload: avcc([[0x09, 0xF0]]), nalLengthSize: 4, config: nil, keyframe: false))
        XCTAssertThrowsError(try AnnexB.fromAVCC(payload: [0x41], nalLengthSize: 0, config: nil, keyframe: false))
        XCTAssertThrowsError(try AnnexB.fromAVCC(payload: [0x41], nalLengthSize: 5, config: nil, keyframe: false))
        XCTAssertThrowsError(try AnnexB.fromAVCC(payload: [0xFF, 0xFF, 0xFF, 0xFF, 0x41], nalLengthSize: 4, config: nil, keyframe: false))
        var rng = FastRandom(seed: 3)
        for _ in 0..<5000 {
            _ = try? AnnexB.fromAVCC(payload: rng.bytes(Int.random(in: 0...24, using: &rng)), nalLengthSize: Int.random(in: 1...4, using: &rng),
                                     config: config, keyframe: true)
        }
    }

    func testSplittingAnnexB() {
        let stream: [UInt8] = [0xAA, 0, 0, 0, 1, 0x09, 0xF0, 0, 0, 1, 0x67, 0x42, 0, 0, 0, 0, 1, 0x65, 0x88]
        XCTAssertEqual(AnnexB.nalUnits(in: stream).map(Array.init), [[0x09, 0xF0], [0x67, 0x42], [0x65, 0x88]])
        XCTAssertEqual(AnnexB.nalUnits(in: [0, 0, 1]).count, 0)
        XCTAssertEqual(AnnexB.nalUnits(in: [1, 2, 3]).count, 0)
    }
}
