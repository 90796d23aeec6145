import XCTest
@testable import Kernel

final class TSFLVStartGateTests: XCTestCase {
    private func frame(_ type: UInt8, _ t: UInt32, header: Bool = false, key: Bool = false) -> TSFLVConverter.Frame {
        .init(type: type, timestamp: t, payload: [UInt8(t & 0xFF)], isSequenceHeader: header, isKeyframe: key)
    }

    func testHoldsVideoUntilTheAudioHeaderThenHeadersFirst() {
        var gate = TSFLVStartGate()
        let vh = frame(FLVTagType.video, 0, header: true)
        let key = frame(FLVTagType.video, 0, key: true)
        let v1 = frame(FLVTagType.video, 40)
        let ah = frame(FLVTagType.audio, 10, header: true)
        let a1 = frame(FLVTagType.audio, 10)
        XCTAssertEqual(gate.pass(vh, expectsVideo: true, expectsAudio: true), [])
        XCTAssertEqual(gate.pass(key, expectsVideo: true, expectsAudio: true), [])
        XCTAssertEqual(gate.pass(v1, expectsVideo: true, expectsAudio: true), [])
        XCTAssertEqual(gate.pass(ah, expectsVideo: true, expectsAudio: true), [vh, ah, key, v1])
        XCTAssertTrue(gate.isOpen)
        XCTAssertEqual(gate.pass(a1, expectsVideo: true, expectsAudio: true), [a1])
    }

    func testAStreamWithoutAudioPassesAtOnce() {
        var gate = TSFLVStartGate()
        let vh = frame(FLVTagType.video, 0, header: true)
        XCTAssertEqual(gate.pass(vh, expectsVideo: true, expectsAudio: false), [vh])
    }

    func testASilentTrackHoldsTheStartAtMostMaxHold() {
        var gate = TSFLVStartGate()
        XCTAssertEqual(gate.pass(frame(FLVTagType.video, 0, header: true), expectsVideo: true, expectsAudio: true), [])
        XCTAssertEqual(gate.pass(frame(FLVTagType.video, 0, key: true), expectsVideo: true, expectsAudio: true), [])
        XCTAssertEqual(gate.pass(frame(FLVTagType.video, 960), expectsVideo: true, expectsAudio: true), [])
        XCTAssertEqual(gate.pass(frame(FLVTagType.video, 1000), expectsVideo: true, expectsAudio: true).count, 4)
    }

    func testReleaseLetsOutWhatIsHeld() {
        var gate = TSFLVStartGate()
        let vh = frame(FLVTagType.video, 0, header: true)
        _ = gate.pass(vh, expectsVideo: true, expectsAudio: true)
        XCTAssertEqual(gate.release(), [vh])
    }
}
