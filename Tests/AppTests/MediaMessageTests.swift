import Kernel
import Protocol
import System
import XCTest
@testable import App

final class MediaMessageTests: XCTestCase {
    /// An HTTP-FLV player's bytes of a message: the FLV tag Kernel's writer makes, as one HTTP chunk.
    func testFLVChunkIsTheKernelsTagFramedAsOneChunk() throws {
        for (type, timestamp, size) in [(UInt8(9), UInt32(0x1234_5678), 300), (8, 40, 7), (18, 0, 0)] {
            let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            let m = MediaMessage(type: type, timestamp: timestamp, payload: payload)
            let chunk = m.flvChunk()
            let bytes = Array(UnsafeRawBufferPointer(start: chunk.base, count: chunk.count))
            XCTAssertEqual(bytes, HTTPChunked.chunk(try FLVTagWriter.tag(type: type, timestamp: timestamp, payload: payload)))
            XCTAssertTrue(m.flvChunk() === chunk, "encoded once")
        }
    }
}
