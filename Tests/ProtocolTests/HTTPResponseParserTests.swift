import Kernel
import XCTest
@testable import Protocol

final class HTTPResponseParserTests: XCTestCase {
    typealias Event = HTTPResponseParser.Event

    func parse(_ chunks: [[UInt8]], method: String = "GET", close: Bool = false, limits: HTTPLimits = .response) throws -> [Event] {
        var p = HTTPResponseParser(requestMethod: method, limits: limits)
        var events: [Event] = []
        for c in chunks { events += try p.feed(c) }
        if close { events += try p.finish() }
        var out: [Event] = []
        for e in events {
            if case .body(let b) = e, case .body(let prev)? = out.last {
                out[out.count - 1] = .body(prev + b)
            } else {
                out.append(e)
            }
        }
        return out
    }

    func parse(_ text: String, method: String = "GET", close: Bool = false) throws -> [Event] {
        try parse([Array(text.utf8)], method: method, close: close)
    }

    func head(_ events: [Event]) -> HTTPResponseHead? {
        for e in events { if case .head(let h) = e { return h } }
        return nil
    }

    func testContentLengthResponse() throws {
        let text = "HTTP/1.1 200 OK\r\nServer: SRS/6.0\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"code\":0}\n"
        let events = try parse(text)
        let h = try XCTUnwrap(head(events))
        XCTAssertEqual(h.status, 200)
        XCTAssertEqual(h.reason, "OK")
        XCTAssertEqual(h.version, .http1_1)
        XCTAssertEqual(h.header("content-type"), "application/json")
        XCTAssertTrue(h.keepAlive)
        XCTAssertEqual(Array(events.dropFirst()), [.body(Array("{\"code\":0}\n".utf8)), .end])
    }

    func testSplitAtEveryOffset() throws {
        let bytes = Array(("HTTP/1.1 302 Found\r\nLocation: http://o:8080/live/s.flv\r\nContent-Length: 3\r\n\r\nabc"
            + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwxyz\r\n0\r\n\r\n").utf8)
        let whole = try parse([bytes])
        XCTAssertEqual(whole.count, 6)
        XCTAssertEqual(head(whole)?.header("Location"), "http://o:8080/live/s.flv")
        for cut in 0...bytes.count {
            XCTAssertEqual(try parse([Array(bytes[..<cut]), Array(bytes[cut...])]), whole, "cut at \(cut)")
        }
        XCTAssertEqual(try parse(bytes.map { [$0] }), whole)
    }

    func testChunkedStreamDeliversBodyAsItComes() throws {
        var p = HTTPResponseParser()
        var events = try p.feed(Array("HTTP/1.1 200 OK\r\nContent-Type: video/x-flv\r\nTransfer-Encoding: chunked\r\n\r\n".utf8))
        XCTAssertEqual(events.count, 1)
        events = try p.feed(HTTPChunked.chunk(Array("FLV".utf8)) + Array("5\r\nab".utf8))
        XCTAssertEqual(events, [.body(Array("FLVab".utf8))])
        events = try p.feed(Array("cde\r\n".utf8) + HTTPChunked.last)
        XCTAssertEqual(events, [.body(Array("cde".utf8)), .end])
    }

    func testBodyUntilClose() throws {
        let events = try parse([Array("HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nhello ".utf8), Array("world".utf8)], close: true)
        XCTAssertEqual(head(events)?.version, .http1_0)
        XCTAssertEqual(head(events)?.keepAlive, false)
        XCTAssertEqual(Array(events.dropFirst()), [.body(Array("hello world".utf8)), .end])
    }

    func testResponsesWithoutBody() throws {
        XCTAssertEqual(try parse("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", method: "HEAD").last, .end)
        XCTAssertEqual(try parse("HTTP/1.1 204 No Content\r\n\r\n").count, 2)
        XCTAssertEqual(try parse("HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n").count, 2)
        XCTAssertEqual(try parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n").count, 2)
    }

    func testInterimResponsesAreSkipped() throws {
        let events = try parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: x\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 1\r\n\r\nx")
        XCTAssertEqual(head(events)?.status, 201)
        XCTAssertEqual(events.count, 3)
    }

    func testMissingReasonAndRepeatedIdenticalLengths() throws {
        XCTAssertEqual(head(try parse("HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n"))?.reason, "")
        XCTAssertEqual(head(try parse("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n"))?.status, 404)
        let events = try parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2, 2\r\n\r\nok")
        XCTAssertEqual(events[1], .body(Array("ok".utf8)))
    }

    func testFinishDetectsTruncation() throws {
        var clean = HTTPResponseParser()
        XCTAssertEqual(try clean.finish(), [])
        for text in ["HTTP/1.1 200 OK\r\nContent-Le", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"] {
            var p = HTTPResponseParser()
            XCTAssertNoThrow(try p.feed(Array(text.utf8)))
            XCTAssertThrowsError(try p.finish(), text) { e in XCTAssertEqual((e as? HTTPParseError)?.status, 502) }
            XCTAssertThrowsError(try p.feed([0x41]))
        }
    }

    func testMalformedResponsesAre502() {
        for text in ["SSH-2.0-OpenSSH\r\n\r\n", "HTTP/1.1 2000 OK\r\n\r\n", "HTTP/1.1 099 X\r\n\r\n", "HTTP/1.1 abc OK\r\n\r\n",
                     "HTTP/2 200 OK\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 101 Switching Protocols\r\n\r\n",
                     "HTTP/1.1 200 OK\r\n folded\r\n\r\n", "HTTP/1.1 200 O\u{1}K\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n"] {
            XCTAssertThrowsError(try parse(text), text.debugDescription) { e in
                XCTAssertEqual((e as? HTTPParseError)?.status, 502, text.debugDescription)
            }
        }
    }

    func testLimits() {
        let small = HTTPLimits(maxStartLineBytes: 64, maxHeaderBytes: 64, maxHeaderCount: 4, maxBodyBytes: 8)
        for text in ["HTTP/1.1 200 \(String(repeating: "K", count: 80))\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nX: \(String(repeating: "v", count: 80))\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n",
                     "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\n",
                     "HTTP/1.1 200 OK\r\n\r\n0123456789"] {
            XCTAssertThrowsError(try parse([Array(text.utf8)], limits: small), text) { e in
                XCTAssertEqual((e as? HTTPParseError)?.status, 502)
            }
        }
    }

    func testRandomAndMutatedInputNeverTraps() {
        var rng = FastRandom(seed: 9)
        let valid = Array("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n".utf8)
        for round in 0..<400 {
            var input = valid
            if round % 2 == 0 {
                input = (0..<Int(rng.next() % 2000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                input[Int(rng.next() % UInt64(input.count))] = UInt8(truncatingIfNeeded: rng.next())
            }
            var p = HTTPResponseParser()
            do {
                var i = 0
                while i < input.count {
                    let n = min(input.count - i, 1 + Int(rng.next() % 32))
                    _ = try p.feed(Array(input[i..<(i + n)]))
                    i += n
                }
                _ = try p.finish()
            } catch {
                XCTAssertEqual((error as? HTTPParseError)?.status, 502)
            }
        }
    }

    func testResponseHeadEncode() {
        var h = HTTPResponseHead(status: 200, headers: [HTTPHeader("Server", "SwiftSRS/1.0.0")])
        h.headers.append(HTTPHeader("Content-Length", "2"))
        XCTAssertEqual(String(decoding: h.encode(), as: UTF8.self), "HTTP/1.1 200 OK\r\nServer: SwiftSRS/1.0.0\r\nContent-Length: 2\r\n\r\n")
        XCTAssertEqual(String(decoding: HTTPResponseHead(status: 416).encode(), as: UTF8.self), "HTTP/1.1 416 Range Not Satisfiable\r\n\r\n")
        // A value carrying CRLF cannot add a header or end the head early.
        let evil = HTTPResponseHead(status: 302, headers: [HTTPHeader("Location", "/a\r\nSet-Cookie: x\r\n\r\n")])
        XCTAssertEqual(String(decoding: evil.encode(), as: UTF8.self), "HTTP/1.1 302 Found\r\nLocation: /a  Set-Cookie: x    \r\n\r\n")
    }

    func testEncodedHeadParsesBack() throws {
        let h = HTTPResponseHead(status: 206, headers: [HTTPHeader("Content-Range", "bytes 0-1/10"), HTTPHeader("Content-Length", "2")])
        let events = try parse([h.encode() + [0x61, 0x62]])
        XCTAssertEqual(events, [.head(h), .body([0x61, 0x62]), .end])
    }
}

final class HTTPChunkedTests: XCTestCase {
    func testChunkFraming() {
        XCTAssertEqual(HTTPChunked.chunk(Array("hello".utf8)), Array("5\r\nhello\r\n".utf8))
        let big = [UInt8](repeating: 1, count: 255)
        XCTAssertEqual(Array(HTTPChunked.chunk(big).prefix(4)), Array("ff\r\n".utf8))
        XCTAssertEqual(HTTPChunked.chunk(big).count, 4 + 255 + 2)
        XCTAssertEqual(HTTPChunked.chunk([]), [])
        XCTAssertEqual(HTTPChunked.last, Array("0\r\n\r\n".utf8))
    }

    func testRoundTripAndTrailingBytesAreLeft() throws {
        let pieces: [[UInt8]] = [Array("FLV".utf8), [UInt8](repeating: 9, count: 4096), [0x0D, 0x0A], [0]]
        let encoded = pieces.flatMap(HTTPChunked.chunk) + HTTPChunked.last
        var d = HTTPChunkedDecoder()
        XCTAssertEqual(try d.decode(encoded), pieces.flatMap { $0 })
        XCTAssertTrue(d.isComplete)
        XCTAssertEqual(d.decodedBytes, 4102)

        var e = HTTPChunkedDecoder()
        var out: [UInt8] = []
        let withNext = encoded + Array("HTTP/1.1".utf8)
        let used = try withNext.withUnsafeBytes { try e.decode($0, into: &out) }
        XCTAssertEqual(used, encoded.count)
        XCTAssertEqual(out, pieces.flatMap { $0 })
    }

    func testByteAtATimeWithExtensionsTrailersAndBareLF() throws {
        let text = Array("3;ext=\"v\"\r\nabc\r\nA \r\n0123456789\n0\r\nExpires: never\r\n\r\n".utf8)
        var d = HTTPChunkedDecoder()
        var out: [UInt8] = []
        for b in text {
            let used = try [b].withUnsafeBytes { try d.decode($0, into: &out) }
            XCTAssertEqual(used, 1)
        }
        XCTAssertTrue(d.isComplete)
        XCTAssertEqual(out, Array("abc0123456789".utf8))
    }

    func testIncompleteBodyThrows() {
        var d = HTTPChunkedDecoder()
        XCTAssertThrowsError(try d.decode(Array("3\r\nab".utf8)))
    }

    func testLimitIs413() {
        var d = HTTPChunkedDecoder(maxBodyBytes: 5)
        XCTAssertThrowsError(try d.decode(Array("3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n".utf8))) { e in
            XCTAssertEqual((e as? HTTPParseError)?.status, 413)
        }
    }
}
