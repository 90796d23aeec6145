import Kernel
import XCTest
@testable import Protocol

final class RTMPChunkTests: XCTestCase {
    private func message(_ type: UInt8, csid: UInt32, ts: UInt32, size: Int, streamID: UInt32 = 1) -> RTMPMessage {
        RTMPMessage(type: type, streamID: streamID, timestamp: ts, chunkStreamID: csid,
                    payload: (0..<size).map { UInt8(truncatingIfNeeded: $0 * 7 + Int(csid)) })
    }

    func testRoundTripAcrossChunkSizes() throws {
        for chunkSize in [1, 128, 4096, 60000] {
            let msgs = [message(9, csid: 6, ts: 0, size: 0 + 1), message(8, csid: 4, ts: 23, size: 300),
                        message(9, csid: 6, ts: 40, size: 70000), message(20, csid: 3, ts: 0, size: 5, streamID: 0)]
            var bytes: [UInt8] = []
            var d = RTMPChunkDecoder()
            if chunkSize != 128 {
                bytes += RTMPChunkEncoder.encode(RTMPControlTestSupport.setChunkSize(chunkSize), chunkSize: 128)
            }
            for m in msgs { bytes += RTMPChunkEncoder.encode(m, chunkSize: chunkSize) }
            let out = try d.feed(bytes).filter { $0.type != RTMPMessageType.setChunkSize }
            XCTAssertEqual(out, msgs, "chunk size \(chunkSize)")
        }
    }

    func testByteAtATimeEqualsWhole() throws {
        let m = message(9, csid: 6, ts: 1000, size: 1000)
        let bytes = RTMPChunkEncoder.encode(m, chunkSize: 128)
        var d = RTMPChunkDecoder()
        var out: [RTMPMessage] = []
        for b in bytes { out += try d.feed([b]) }
        XCTAssertEqual(out, [m])
    }

    /// A session's worth of chunks (a chunk size change, extended timestamps on continuation
    /// chunks, interleaved streams, a zero-length message) cut at every offset, and in pieces
    /// of every length up to 40: the same messages as fed whole. Headers and payloads then end
    /// in every possible place across reads.
    func testEverySplitEqualsWhole() throws {
        let a = message(8, csid: 4, ts: 0x0123_4567, size: 300)
        let v = message(9, csid: 6, ts: 0x0123_4580, size: 700)
        let empty = message(18, csid: 5, ts: 7, size: 0)
        let wide = message(20, csid: 400, ts: 9, size: 50, streamID: 0)
        var bytes = RTMPChunkEncoder.encode(RTMPControlTestSupport.setChunkSize(200), chunkSize: 128)
        let ea = RTMPChunkEncoder.encode(a, chunkSize: 200)
        let ev = RTMPChunkEncoder.encode(v, chunkSize: 200)
        // The first chunk of each (header 16 + 200 bytes), then the rest of both, interleaved.
        bytes += Array(ea[0..<216]) + Array(ev[0..<216]) + Array(ea[216...]) + Array(ev[216...])
        bytes += RTMPChunkEncoder.encode(empty, chunkSize: 200) + RTMPChunkEncoder.encode(wide, chunkSize: 200)
        var whole = RTMPChunkDecoder()
        let expected = try whole.feed(bytes)
        XCTAssertEqual(expected.filter { $0.type != RTMPMessageType.setChunkSize }, [a, v, empty, wide])
        for cut in 0...bytes.count {
            var d = RTMPChunkDecoder()
            let out = try d.feed(Array(bytes[..<cut])) + d.feed(Array(bytes[cut...]))
            XCTAssertEqual(out, expected, "cut at \(cut)")
        }
        for piece in 1...40 {
            var d = RTMPChunkDecoder()
            var out: [RTMPMessage] = []
            for start in stride(from: 0, to: bytes.count, by: piece) {
                out += try d.feed(Array(bytes[start..<min(start + piece, bytes.count)]))
            }
            XCTAssertEqual(out, expected, "pieces of \(piece)")
        }
    }

    func testInterleavedChunkStreams() throws {
        // Two 200-byte messages on csids 4 and 6, chunks interleaved at 128 bytes.
        let a = message(8, csid: 4, ts: 10, size: 200)
        let v = message(9, csid: 6, ts: 20, size: 200)
        let ea = RTMPChunkEncoder.encode(a, chunkSize: 128)
        let ev = RTMPChunkEncoder.encode(v, chunkSize: 128)
        // ea = 12 + 128 + 1 + 72 ; split after the first chunk of each.
        let bytes = Array(ea[0..<140]) + Array(ev[0..<140]) + Array(ea[140...]) + Array(ev[140...])
        var d = RTMPChunkDecoder()
        XCTAssertEqual(try d.feed(bytes), [a, v])
    }

    func testHeaderCompressionFmt1Fmt2Fmt3() throws {
        // fmt0 ts=1000 len=3 type 8, then fmt1 delta 20 len 2, fmt2 delta 30, fmt3 (repeat delta 30).
        var bytes: [UInt8] = [0x04, 0x00, 0x03, 0xE8, 0x00, 0x00, 0x03, 0x08, 0x01, 0x00, 0x00, 0x00, 1, 2, 3]
        bytes += [0x44, 0x00, 0x00, 0x14, 0x00, 0x00, 0x02, 0x08, 4, 5]
        bytes += [0x84, 0x00, 0x00, 0x1E, 6, 7]
        bytes += [0xC4, 8, 9]
        var d = RTMPChunkDecoder()
        let out = try d.feed(bytes)
        XCTAssertEqual(out.map(\.timestamp), [1000, 1020, 1050, 1080])
        XCTAssertEqual(out.map(\.payload), [[1, 2, 3], [4, 5], [6, 7], [8, 9]])
        XCTAssertEqual(out.map(\.streamID), [1, 1, 1, 1])
    }

    func testExtendedTimestampIncludingType3Chunks() throws {
        let m = message(9, csid: 6, ts: 0x0123_4567, size: 300)
        let bytes = RTMPChunkEncoder.encode(m, chunkSize: 128)
        // fmt0 header has 0xFFFFFF then 4 extended bytes; each fmt3 continuation repeats them.
        XCTAssertEqual(Array(bytes[1...3]), [0xFF, 0xFF, 0xFF])
        XCTAssertEqual(Array(bytes[12...15]), [0x01, 0x23, 0x45, 0x67])
        XCTAssertEqual(bytes[16 + 128], 0xC6)
        XCTAssertEqual(Array(bytes[(17 + 128)...(20 + 128)]), [0x01, 0x23, 0x45, 0x67])
        var d = RTMPChunkDecoder()
        XCTAssertEqual(try d.feed(bytes), [m])
    }

    func testLargeChunkStreamIDs() throws {
        for csid: UInt32 in [63, 64, 319, 320, 65599] {
            let m = message(20, csid: csid, ts: 5, size: 10)
            var d = RTMPChunkDecoder()
            XCTAssertEqual(try d.feed(RTMPChunkEncoder.encode(m, chunkSize: 128)), [m], "csid \(csid)")
        }
    }

    func testAbortDropsPartialMessage() throws {
        let big = message(9, csid: 6, ts: 0, size: 300)
        let enc = RTMPChunkEncoder.encode(big, chunkSize: 128)
        var abortPayload = ByteWriter()
        abortPayload.u32(6)
        let abort = RTMPMessage(type: RTMPMessageType.abort, streamID: 0, chunkStreamID: 2, payload: abortPayload.bytes)
        let next = message(9, csid: 6, ts: 40, size: 10)
        var d = RTMPChunkDecoder()
        let out = try d.feed(Array(enc[0..<140]) + RTMPChunkEncoder.encode(abort, chunkSize: 128)
            + RTMPChunkEncoder.encode(next, chunkSize: 128))
        XCTAssertEqual(out.filter { $0.type != RTMPMessageType.abort }, [next])
    }

    func testMalformedInputThrows() {
        var d = RTMPChunkDecoder()
        // A fresh chunk stream cannot start with a type-3 header.
        XCTAssertThrowsError(try d.feed([0xC3, 1, 2, 3]))
        var d2 = RTMPChunkDecoder()
        // Set chunk size to 0 is invalid.
        XCTAssertThrowsError(try d2.feed([0x02, 0, 0, 0, 0, 0, 4, 1, 0, 0, 0, 0, 0, 0, 0, 0]))
    }

    func testHostileLengthsAreBounded() {
        // Many chunk streams each announcing 16 MB messages: the decoder stops at its bound.
        var d = RTMPChunkDecoder()
        var threw = false
        var bytes: [UInt8] = []
        bytes += RTMPChunkEncoder.encode(RTMPControlTestSupport.setChunkSize(65536), chunkSize: 128)
        let body = [UInt8](repeating: 0, count: 65536)
        for csid in 3..<600 {
            bytes += [0x01, UInt8((csid - 64) & 0xFF), UInt8(((csid - 64) >> 8) & 0xFF)]
            bytes += [0, 0, 0, 0xFF, 0xFF, 0xFF, 9, 1, 0, 0, 0] + body
            do { _ = try d.feed(bytes) } catch { threw = true; break }
            bytes = []
        }
        XCTAssertTrue(threw)
    }
}

enum RTMPControlTestSupport {
    static func setChunkSize(_ n: Int) -> RTMPMessage { RTMPControl.setChunkSize(UInt32(n)) }
}
