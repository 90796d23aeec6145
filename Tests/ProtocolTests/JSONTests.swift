import Kernel
import XCTest
@testable import Protocol

final class JSONTests: XCTestCase {
    func parseFails(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        do {
            let v = try JSONValue.parse(text)
            XCTFail("accepted \(text.debugDescription) as \(v)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    // MARK: - Encoding

    func testCompactEncodingKeepsMemberOrder() {
        let v: JSONValue = ["code": 0, "server": "vid-x", "data": ["zeta": [1, 2.5, true, .null], "alpha": [:], "mid": []]]
        XCTAssertEqual(v.encode(), #"{"code":0,"server":"vid-x","data":{"zeta":[1,2.5,true,null],"alpha":{},"mid":[]}}"#)
        XCTAssertEqual(v.members?.map(\.name), ["code", "server", "data"])
        XCTAssertEqual(v.encodedBytes(), Array(v.encode().utf8))
        XCTAssertEqual("\(v)", v.encode())
    }

    func testStringEscapes() {
        let s: JSONValue = .string("q\"b\\s/\n\r\t\u{08}\u{0C}\u{00}\u{01}\u{1F}\u{7F}é中😀\u{2028}\u{2029}")
        XCTAssertEqual(s.encode(), #""q\"b\\s/\n\r\t\b\f\u0000\u0001\u001f"# + "\u{7F}é中😀" + #"\u2028\u2029""#)
        let key = JSONValue.object([JSONMember("a\"b", .string(""))])
        XCTAssertEqual(key.encode(), #"{"a\"b":""}"#)
    }

    func testNumbers() {
        XCTAssertEqual(JSONValue.int(Int64.max).encode(), "9223372036854775807")
        XCTAssertEqual(JSONValue.int(Int64.min).encode(), "-9223372036854775808")
        XCTAssertEqual(JSONValue.number(2).encode(), "2.0")
        XCTAssertEqual(JSONValue.number(0.1).encode(), "0.1")
        XCTAssertEqual(JSONValue.number(-0.5).encode(), "-0.5")
        XCTAssertEqual(JSONValue.number(1e-7).encode(), "1e-07")
        XCTAssertEqual(JSONValue.number(1e300).encode(), "1e+300")
        XCTAssertEqual(JSONValue.number(.nan).encode(), "null")
        XCTAssertEqual(JSONValue.number(.infinity).encode(), "null")
        XCTAssertEqual(JSONValue.number(-.infinity).encode(), "null")
        XCTAssertEqual(JSONValue.rounded(1.0 / 3).encode(), "0.33")
        XCTAssertEqual(JSONValue.rounded(0.0234).encode(), "0.02")
        XCTAssertEqual(JSONValue.rounded(2).encode(), "2.0")
        XCTAssertEqual(JSONValue.rounded(12.3456, decimals: 3).encode(), "12.346")
        XCTAssertEqual(JSONValue.rounded(1e20).encode(), "1e+20")
        XCTAssertEqual(JSONValue.rounded(.nan).encode(), "null")
        let literal: JSONValue = 1.5
        XCTAssertEqual(literal, .number(1.5))
    }

    // MARK: - Parsing

    func testParseStructureAndAccessors() throws {
        let text = #" { "code" : 0, "server":"vid-1", "ok": true, "no": false, "none": null, "ratio": 0.25,"#
            + #" "streams": [ {"id": "s1", "clients": 2}, {"id": "s2", "clients": 3} ], "empty": {}, "list": [] } "#
        let v = try JSONValue.parse(text)
        XCTAssertEqual(v["code"]?.intValue, 0)
        XCTAssertEqual(v["server"]?.stringValue, "vid-1")
        XCTAssertEqual(v["ok"]?.boolValue, true)
        XCTAssertEqual(v["no"]?.boolValue, false)
        XCTAssertEqual(v["none"]?.isNull, true)
        XCTAssertEqual(v["ratio"]?.numberValue, 0.25)
        XCTAssertNil(v["ratio"]?.intValue)
        XCTAssertEqual(v["code"]?.numberValue, 0)
        XCTAssertEqual(v["streams"]?[1]?["clients"]?.intValue, 3)
        XCTAssertEqual(v["streams"]?.arrayValue?.count, 2)
        XCTAssertNil(v["streams"]?[2])
        XCTAssertNil(v["streams"]?[-1])
        XCTAssertNil(v["missing"])
        XCTAssertNil(v["code"]?["x"])
        XCTAssertNil(v[0])
        XCTAssertEqual(v["empty"], .object([]))
        XCTAssertEqual(v["list"], .array([]))
        XCTAssertEqual(v.members?.map(\.name), ["code", "server", "ok", "no", "none", "ratio", "streams", "empty", "list"])
        XCTAssertEqual(JSONValue.number(2).intValue, 2)
        XCTAssertNil(JSONValue.number(1e30).intValue)
        XCTAssertNil(JSONValue.string("1").intValue)
    }

    func testDuplicateNamesKeepOrderAndTheLastWins() throws {
        let v = try JSONValue.parse(#"{"a":1,"b":2,"a":3}"#)
        XCTAssertEqual(v.members?.count, 3)
        XCTAssertEqual(v["a"], .int(3))
    }

    func testParseNumbers() throws {
        XCTAssertEqual(try JSONValue.parse("0"), .int(0))
        XCTAssertEqual(try JSONValue.parse("-0"), .int(0))
        XCTAssertEqual(try JSONValue.parse("123"), .int(123))
        XCTAssertEqual(try JSONValue.parse("-9223372036854775808"), .int(Int64.min))
        XCTAssertEqual(try JSONValue.parse("9223372036854775807"), .int(Int64.max))
        XCTAssertEqual(try JSONValue.parse("9223372036854775808"), .number(9223372036854775808))
        XCTAssertEqual(try JSONValue.parse("1.5"), .number(1.5))
        XCTAssertEqual(try JSONValue.parse("1e3"), .number(1000))
        XCTAssertEqual(try JSONValue.parse("-1.25E-2"), .number(-0.0125))
        XCTAssertEqual(try JSONValue.parse("2E+2"), .number(200))
        XCTAssertEqual(try JSONValue.parse("1e-400"), .number(0))
    }

    func testParseStrings() throws {
        XCTAssertEqual(try JSONValue.parse(#""a\"b\\c\/d\b\f\n\r\t""#), .string("a\"b\\c/d\u{08}\u{0C}\n\r\t"))
        XCTAssertEqual(try JSONValue.parse(#""\u00e9\u4E2D\ud83d\ude00\u0000""#), .string("é中😀\u{0}"))
        XCTAssertEqual(try JSONValue.parse("\"é中😀\""), .string("é中😀"))
        XCTAssertEqual(try JSONValue.parse(#""""#), .string(""))
    }

    func testParseErrors() {
        let bad = ["", " ", "01", "-01", "1.", ".5", "-", "+1", "1e", "1e+", "0x10", "NaN", "Infinity", "-Infinity",
                   "[1,]", "[,1]", "[1 2]", "[", "]", "{", "{\"a\":1,}", "{\"a\"}", "{\"a\":}", "{a:1}", "{'a':1}", "{\"a\" 1}",
                   "{1:2}", "'x'", "tru", "nul", "True", "falsey", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"",
                   "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"", "\"a\u{01}b\"", "\"a\nb\"", "\"\t\"",
                   "1 2", "{} {}", "[] x", "/* c */ 1", "1 // c", "\u{FEFF}1", "1e400", "-1e400"]
        for text in bad {
            XCTAssertNotNil(parseFails(text), text.debugDescription)
        }
    }

    func testErrorOffsets() {
        XCTAssertEqual(parseFails("[1,]")?.offset, 3)
        XCTAssertEqual(parseFails("{\"a\":1 x}")?.offset, 7)
        XCTAssertEqual(parseFails("[1] x")?.offset, 4)
        XCTAssertEqual(parseFails("\"abc")?.offset, 0)
        XCTAssertTrue(parseFails("[1,]")?.description.contains("byte 3") ?? false)
    }

    func testInvalidUTF8BytesAreRefused() {
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xFF, 0x22]))
        XCTAssertThrowsError(try JSONValue.parse([0x22, 0xC0, 0xAF, 0x22]))
        XCTAssertEqual(try JSONValue.parse([0x22, 0xC3, 0xA9, 0x22]), .string("é"))
    }

    func testDepthLimit() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        XCTAssertNoThrow(try JSONValue.parse(ok))
        let deep = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        XCTAssertNotNil(parseFails(deep))
        let objects = String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65)
        XCTAssertNotNil(parseFails(objects))
        XCTAssertNoThrow(try JSONValue.parse(objects, maxDepth: 65))
        // A bomb far deeper than the stack could take is refused, not a crash.
        XCTAssertNotNil(parseFails(String(repeating: "[", count: 1_000_000)))
    }

    func testSizeLimit() {
        XCTAssertThrowsError(try JSONValue.parse("[1,2,3,4,5]", maxBytes: 10))
        XCTAssertNoThrow(try JSONValue.parse("[1,2,3,4]", maxBytes: 10))
        XCTAssertNotNil(parseFails("1" + String(repeating: "0", count: 600)))
    }

    func testRoundTrip() throws {
        let v: JSONValue = [
            "code": 0, "server": "vid-\"x\"", "pid": "123",
            "data": ["streams": [["id": "a", "kbps": ["recv_30s": 1200, "send_30s": 0], "alive": .number(12.345),
                                  "video": .null, "ok": false, "big": .int(Int64.min), "tiny": .number(.leastNonzeroMagnitude)]],
                     "text": "line\nbreak\t☃ \u{1}"],
        ]
        XCTAssertEqual(try JSONValue.parse(v.encode()), v)
        XCTAssertEqual(try JSONValue.parse(v.encodedBytes()), v)
        for d in [0.1, 1.0 / 3, 123456.789, -2.5e-10, 1.7976931348623157e308] {
            XCTAssertEqual(try JSONValue.parse(JSONValue.number(d).encode()), .number(d))
        }
    }

    func testRandomAndMutatedInputNeverTraps() throws {
        var rng = FastRandom(seed: 7)
        let valid = Array(#"{"a":[1,-2.5e3,"x\u00e9\ud83d\ude00",true,null,{"b":{}}],"c":"\n"}"#.utf8)
        XCTAssertNoThrow(try JSONValue.parse(valid))
        for round in 0..<2000 {
            var input: [UInt8]
            if round % 2 == 0 {
                input = (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                input = valid
                for _ in 0..<(1 + rng.next() % 4) {
                    input[Int(rng.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            // Whatever parses must encode to text that parses back to the same value.
            if let v = try? JSONValue.parse(input) {
                XCTAssertEqual(try JSONValue.parse(v.encode()), v)
            }
        }
    }
}
