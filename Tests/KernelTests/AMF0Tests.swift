import XCTest
@testable import Kernel

final class AMF0Tests: XCTestCase {
    func testRoundTripEveryType() throws {
        let values: [AMF0Value] = [
            .number(1.5), .boolean(true), .boolean(false), .string("live"), .string(""), .null, .undefined,
            .object([AMF0Property("app", .string("live")), AMF0Property("n", .number(3))]),
            .ecmaArray([AMF0Property("width", .number(1280)), AMF0Property("nested", .object([]))]),
            .strictArray([.number(1), .string("a"), .null]), .date(1_600_000_000_000),
            .string(String(repeating: "x", count: 70000)),
        ]
        XCTAssertEqual(try AMF0.decodeAll(AMF0.encode(values)), values)
    }

    func testConnectCommandBytes() {
        let bytes = AMF0.encode([.string("connect"), .number(1), .object([AMF0Property("app", .string("live"))])])
        XCTAssertEqual(bytes, [0x02, 0x00, 0x07] + Array("connect".utf8)
            + [0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0]
            + [0x03, 0x00, 0x03] + Array("app".utf8) + [0x02, 0x00, 0x04] + Array("live".utf8) + [0x00, 0x00, 0x09])
    }

    func testSubscriptSettingRemoving() {
        let meta = AMF0Value.ecmaArray([AMF0Property("duration", .number(0)), AMF0Property("width", .number(640))])
        let out = meta.removing("duration").setting("server", .string("s")).setting("width", .number(320))
        XCTAssertEqual(out, .ecmaArray([AMF0Property("width", .number(320)), AMF0Property("server", .string("s"))]))
        XCTAssertEqual(out["server"]?.stringValue, "s")
        XCTAssertNil(AMF0Value.number(1)["x"])
    }

    func testTypedObjectLongStringAndReference() throws {
        var bytes: [UInt8] = [16, 0, 1, 0x41, 0, 1, 0x6B, 5, 0, 0, 9]  // typed object "A" {k: null}
        bytes += [12, 0, 0, 0, 2, 0x68, 0x69]  // long string "hi"
        bytes += [7, 0, 1]  // reference
        XCTAssertEqual(try AMF0.decodeAll(bytes), [.object([AMF0Property("k", .null)]), .string("hi"), .undefined])
    }

    func testObjectWithoutEndMarkerAtEndOfInputIsAccepted() throws {
        let bytes: [UInt8] = [3, 0, 1, 0x61, 5]
        XCTAssertEqual(try AMF0.decodeAll(bytes), [.object([AMF0Property("a", .null)])])
    }

    func testMalformedInputThrows() {
        XCTAssertThrowsError(try AMF0.decodeAll([0x00, 0x01]))           // truncated number
        XCTAssertThrowsError(try AMF0.decodeAll([0x02, 0x00, 0x05, 0x61])) // truncated string
        XCTAssertThrowsError(try AMF0.decodeAll([0x42]))                 // unknown marker
        XCTAssertThrowsError(try AMF0.decodeAll([10, 0xFF, 0xFF, 0xFF, 0xFF])) // lying strict array count
        // 100 nested objects exceed the depth bound instead of recursing without limit.
        var deep: [UInt8] = []
        for _ in 0..<100 { deep += [3, 0, 1, 0x61] }
        XCTAssertThrowsError(try AMF0.decodeAll(deep))
    }

    func testInvalidUTF8DoesNotFail() throws {
        XCTAssertEqual(try AMF0.decodeAll([2, 0, 2, 0xFF, 0xFE]).count, 1)
    }
}
