import Foundation
import Kernel
import Protocol
import System
import XCTest
@testable import App
import Core

/// A segment grows on disk under `<name>.tmp` while it is open: the writer holds at most a piece
/// of it in memory (issue 18: HLS used to keep each segment whole until it was cut).
final class HLSWriterPieceTests: XCTestCase {
    func testAnOpenSegmentIsOnDiskAndOnlyAPieceIsInMemory() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("hls-piece-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var hls = HLSConfig()
        hls.enabled = true
        hls.fragment = 10
        hls.path = dir
        let loop = try EventLoop()
        let w = HLSWriter(key: StreamKey(vhost: "__defaultVhost__", app: "live", stream: "s"), config: hls, loop: loop)
        w.sourcePublished()
        w.deliver(MediaMessage(type: 9, timestamp: 0, payload: PublisherInputFuzzTests.videoHeader))
        w.deliver(MediaMessage(type: 8, timestamp: 0, payload: PublisherInputFuzzTests.audioHeader))
        // 4 s of a ~2 Mb/s stream (10 KB frames at 25 fps, a keyframe each second): ~1 MB, one segment.
        var maxBuffered = 0
        for i in 0..<100 {
            let key = i % 25 == 0
            let nal: [UInt8] = [key ? 0x65 : 0x41] + [UInt8](repeating: 0x5A, count: 10_000)
            let length = withUnsafeBytes(of: UInt32(nal.count).bigEndian, Array.init)
            w.deliver(MediaMessage(type: 9, timestamp: UInt32(i * 40), payload: [key ? 0x17 : 0x27, 0x01, 0, 0, 0] + length + nal))
            w.deliver(MediaMessage(type: 8, timestamp: UInt32(i * 40 + 5), payload: [0xAF, 0x01] + [UInt8](repeating: 0x21, count: 100)))
            maxBuffered = max(maxBuffered, w.bufferedBytes)
        }
        XCTAssertLessThan(maxBuffered, HLSWriter.pieceBytes + 11_000, "at most a piece and a frame in memory")
        let tmp = dir + "/live/s-0.ts.tmp"
        let onDisk = try XCTUnwrap(FileSystem.info(tmp)).size
        XCTAssertGreaterThan(onDisk, 1_000_000 - HLSWriter.pieceBytes, "the open segment is on disk under its temp name")
        XCTAssertFalse(FileSystem.exists(dir + "/live/s-0.ts"), "not under its name before it is cut")
        XCTAssertFalse(FileSystem.exists(dir + "/live/s.m3u8"))

        w.sourceUnpublished()
        XCTAssertFalse(FileSystem.exists(tmp))
        let ts = try FileSystem.readFile(dir + "/live/s-0.ts")
        XCTAssertEqual(ts.count % 188, 0)
        XCTAssertGreaterThan(ts.count, 1_000_000)
        XCTAssertTrue(try FileSystem.readText(dir + "/live/s.m3u8").contains("s-0.ts"))
    }
}
