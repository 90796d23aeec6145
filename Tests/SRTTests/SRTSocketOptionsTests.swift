import CSRT
import Kernel
@testable import SRT
import XCTest

final class SRTSocketOptionsTests: XCTestCase {
    override func setUp() {
        SRTLibrary.start()
    }

    /// SRS 7's defaults (srs_app_config.cpp get_srto_*).
    func testDefaultsAreSRSs() {
        let o = SRTSocketOptions()
        XCTAssertEqual(o.maxBandwidth, -1)
        XCTAssertEqual(o.mss, 1500)
        XCTAssertTrue(o.tsbpdMode)
        XCTAssertEqual(o.latencyMs, 120)
        XCTAssertEqual(o.recvLatencyMs, 120)
        XCTAssertEqual(o.peerLatencyMs, 0)
        XCTAssertTrue(o.tooLatePacketDrop)
        XCTAssertEqual(o.connectTimeoutMs, 3000)
        XCTAssertEqual(o.peerIdleTimeoutMs, 10_000)
        XCTAssertEqual(o.sendBufferBytes, 8192 * 1472)
        XCTAssertEqual(o.recvBufferBytes, 8192 * 1472)
        XCTAssertEqual(o.payloadSize, 1316)
        XCTAssertEqual(o.passphrase, "")
        XCTAssertEqual(o.keyLength, 0)
    }

    func testApplyReadsBackAsSet() throws {
        var o = SRTSocketOptions()
        o.latencyMs = 500  // overridden by recvlatency and peerlatency, which SRS sets after it
        o.recvLatencyMs = 200
        o.peerLatencyMs = 80
        o.mss = 1400
        o.payloadSize = 1128
        o.connectTimeoutMs = 4000
        o.peerIdleTimeoutMs = 8000
        o.maxBandwidth = 1_000_000_000
        o.passphrase = "0123456789"
        o.keyLength = 32
        let s = srt_create_socket()
        defer { srt_close(s) }
        try o.apply(to: s)
        XCTAssertEqual(SRTOption.int32(s, SRTO_RCVLATENCY), 200)
        XCTAssertEqual(SRTOption.int32(s, SRTO_PEERLATENCY), 80)
        XCTAssertEqual(SRTOption.int32(s, SRTO_MSS), 1400)
        XCTAssertEqual(SRTOption.int32(s, SRTO_PAYLOADSIZE), 1128)
        XCTAssertEqual(SRTOption.int32(s, SRTO_CONNTIMEO), 4000)
        XCTAssertEqual(SRTOption.int32(s, SRTO_PEERIDLETIMEO), 8000)
        XCTAssertEqual(SRTOption.int32(s, SRTO_PBKEYLEN), 32)
        XCTAssertEqual(SRTOption.int32(s, SRTO_RCVSYN), 0, "non-blocking")
    }

    func testRefusedOptionIsReported() {
        var o = SRTSocketOptions()
        o.passphrase = "short"  // libsrt wants 10 to 79 characters
        let s = srt_create_socket()
        defer { srt_close(s) }
        XCTAssertThrowsError(try o.apply(to: s)) { error in
            XCTAssertEqual((error as? SRTError)?.call, "srt_setsockflag")
            XCTAssertTrue("\(error)".contains("option \(SRTO_PASSPHRASE.rawValue)"), "\(error)")
            XCTAssertFalse("\(error)".contains("short"), "a passphrase is never printed")
        }
    }
}
