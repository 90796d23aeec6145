import Kernel
import Protocol
import System
import XCTest
@testable import App

/// A source's shared HTTP-AAC/MP3/TS encoding: made by its first player, primed with the cached
/// start of the stream, one encoding per message, dropped with its last player.
final class LiveRemuxTests: XCTestCase {
    /// AAC LC, 44.1 kHz, stereo.
    let aacHeader: [UInt8] = [0xAF, 0x00, 0x12, 0x10]
    func aacFrame(_ n: UInt8) -> [UInt8] { [0xAF, 0x01] + [UInt8](repeating: n, count: 10) }

    func bytes(_ b: SharedBytes?) -> [UInt8] {
        guard let b else { return [] }
        return Array(UnsafeRawBufferPointer(start: b.base, count: b.count))
    }

    func testMessagesCarryTheirEncodingWhileAPlayerUsesIt() throws {
        let s = LiveSource(key: StreamKey(vhost: "v", app: "live", stream: "radio"), now: 0)
        XCTAssertTrue(s.publish(cid: "pub", now: 0))
        let header = MediaMessage(type: RTMPMessageType.audio, timestamp: 0, payload: aacHeader)
        s.onMessage(header)
        let early = MediaMessage(type: RTMPMessageType.audio, timestamp: 23, payload: aacFrame(1))
        s.onMessage(early)
        XCTAssertNil(early.remuxFormat, "no player of a remux yet: nothing encoded")

        // The first player: the cached start is encoded at once (the GOP of an audio-only stream).
        s.useRemux(.aac)
        XCTAssertEqual(early.remuxFormat, .aac)
        let config = try AACAudioConfig.parse(aacHeader[2...])
        XCTAssertEqual(bytes(early.remuxChunk), HTTPChunked.chunk(config.adtsHeader(payloadLength: 10) + aacFrame(1)[2...]))
        XCTAssertTrue(early.remuxRandomAccess)
        XCTAssertNil(header.remuxChunk, "a sequence header adds no bytes")

        let next = MediaMessage(type: RTMPMessageType.audio, timestamp: 46, payload: aacFrame(2))
        s.onMessage(next)
        XCTAssertEqual(next.remuxFormat, .aac)
        let chunk = next.remuxChunk
        s.useRemux(.aac)
        s.onMessage(MediaMessage(type: RTMPMessageType.audio, timestamp: 69, payload: aacFrame(3)))
        XCTAssertTrue(next.remuxChunk === chunk, "a second player shares the encoding")

        // The players leave: the stream stops encoding.
        s.releaseRemux()
        XCTAssertNotNil(s.remux)
        s.releaseRemux()
        XCTAssertNil(s.remux)
        let after = MediaMessage(type: RTMPMessageType.audio, timestamp: 92, payload: aacFrame(4))
        s.onMessage(after)
        XCTAssertNil(after.remuxFormat)

        // A new player: a new remux, primed with the cached sequence header (already encoded
        // by the earlier one), encodes again.
        s.useRemux(.aac)
        let again = MediaMessage(type: RTMPMessageType.audio, timestamp: 115, payload: aacFrame(5))
        s.onMessage(again)
        XCTAssertEqual(bytes(again.remuxChunk), HTTPChunked.chunk(config.adtsHeader(payloadLength: 10) + aacFrame(5)[2...]))
        XCTAssertEqual(after.remuxFormat, .aac, "the cached GOP is encoded for the new player")
    }
}
