import XCTest
@testable import Kernel

final class FLVFileWriterTests: XCTestCase {
    private func apply(_ patches: [FilePatch], to file: inout [UInt8]) {
        for p in patches { file.replaceSubrange(Int(p.offset)..<(Int(p.offset) + p.bytes.count), with: p.bytes) }
    }

    private func metadata(of file: [UInt8]) throws -> [AMF0Property] {
        var reader = try FLVTagReader(file)
        let tag = try XCTUnwrap(reader.next())
        XCTAssertEqual(tag.type, FLVTagType.script)
        XCTAssertEqual(tag.timestamp, 0)
        let values = try AMF0.decodeAll(tag.payload)
        XCTAssertEqual(values.first, .string("onMetaData"))
        return try XCTUnwrap(values.last?.properties)
    }

    func testMetadataFirstWithPlaceholdersRewrittenAtTheEnd() throws {
        var writer = FLVFileWriter()
        var file = writer.start(metadata: [AMF0Property("width", .number(320)), AMF0Property("duration", .number(99)),
                                           AMF0Property("filesize", .number(5)), AMF0Property("encoder", .string("Lavf"))])
        XCTAssertEqual(Array(file.prefix(13)), FLVHeader.bytes(hasAudio: true, hasVideo: true), "audio+video flags, as SRS")
        XCTAssertEqual(try metadata(of: file).map(\.key), ["width", "encoder", "filesize", "duration"])
        XCTAssertEqual(try metadata(of: file).suffix(2).map(\.value), [.number(0), .number(0)])
        XCTAssertEqual(writer.bytesWritten, UInt64(file.count))

        // Video at 0, 40, 80 and audio at 10, 33: the span ends at 80 + 40.
        for (type, ms) in [(FLVTagType.video, 0), (FLVTagType.audio, 10), (FLVTagType.video, 40), (FLVTagType.audio, 33),
                           (FLVTagType.video, 80)] {
            file += try writer.tag(type: type, timestamp: Int64(ms), payload: [0x17, 1, 0, 0, 0][...])
        }
        XCTAssertEqual(writer.durationMs, 120)
        XCTAssertEqual(writer.bytesWritten, UInt64(file.count))
        let patches = writer.finish()
        XCTAssertEqual(patches.map(\.bytes.count), [8, 8])
        apply(patches, to: &file)
        let props = try metadata(of: file)
        XCTAssertEqual(props.first { $0.key == "filesize" }?.value, .number(Double(file.count)))
        XCTAssertEqual(props.first { $0.key == "duration" }?.value, .number(0.12))
        XCTAssertEqual(props.first { $0.key == "width" }?.value, .number(320))
        // The tags after the metadata are untouched and in order.
        var reader = try FLVTagReader(file)
        _ = try reader.next()
        var times: [UInt32] = []
        while let tag = try reader.next() { times.append(tag.timestamp) }
        XCTAssertEqual(times, [0, 10, 40, 33, 80])
    }

    func testWithoutPublisherMetadataAndWithHugeMetadata() throws {
        var writer = FLVFileWriter()
        var file = writer.start(metadata: [])
        XCTAssertEqual(try metadata(of: file).map(\.key), ["filesize", "duration"])
        apply(writer.finish(), to: &file)
        XCTAssertEqual(try metadata(of: file).map(\.value), [.number(Double(file.count)), .number(0)])

        // Metadata past FLV's 24-bit tag size is dropped, not written broken.
        var big = FLVFileWriter()
        let huge = String(repeating: "x", count: 0x10000)
        let props = (0..<260).map { AMF0Property("k\($0)", .string(huge)) }
        var bigFile = big.start(metadata: props)
        XCTAssertLessThan(bigFile.count, 200)
        apply(big.finish(), to: &bigFile)
        XCTAssertEqual(try metadata(of: bigFile).map(\.key), ["filesize", "duration"])
    }

    func testTimestampsWrapTo32BitsAndOversizedTagsThrow() throws {
        var writer = FLVFileWriter()
        _ = writer.start(metadata: [])
        let tag = try writer.tag(type: FLVTagType.audio, timestamp: 0x1_2345_6789, payload: [0xAF, 1][...])
        XCTAssertEqual(Array(tag[4...7]), [0x45, 0x67, 0x89, 0x23], "low 24 bits, then the high byte")
        XCTAssertThrowsError(try writer.tag(type: FLVTagType.video, timestamp: 0,
                                            payload: [UInt8](repeating: 0, count: FLVTagWriter.maxPayloadSize + 1)[...]))
    }
}
