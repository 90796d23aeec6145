import XCTest
@testable import Protocol

final class HTTPRequestParserTests: XCTestCase {
    typealias Event = HTTPRequestParser.Event

    /// Feeds `chunks` in order and returns the events with adjacent body pieces joined.
    func parse(_ chunks: [[UInt8]], limits: HTTPLimits = .request) throws -> [Event] {
        var p = HTTPRequestParser(limits: limits)
        var events: [Event] = []
        for c in chunks { events += try p.feed(c) }
        return Self.joined(events)
    }

    func parse(_ text: String, limits: HTTPLimits = .request) throws -> [Event] {
        try parse([Array(text.utf8)], limits: limits)
    }

    static func joined(_ events: [Event]) -> [Event] {
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

    /// The status of the error `text` is refused with.
    func status(_ text: String, limits: HTTPLimits = .request, file: StaticString = #filePath, line: UInt = #line) -> Int? {
        do {
            let events = try parse(text, limits: limits)
            XCTFail("accepted: \(events)", file: file, line: line)
            return nil
        } catch let e as HTTPParseError {
            return e.status
        } catch {
            XCTFail("unexpected \(error)", file: file, line: line)
            return nil
        }
    }

    func heads(_ events: [Event]) -> [HTTPRequestHead] {
        events.compactMap { if case .head(let h) = $0 { return h } else { return nil } }
    }

    // MARK: - Well-formed requests

    func testSimpleGet() throws {
        let events = try parse("GET /api/v1/streams/?count=5&callback=cb HTTP/1.1\r\nHost: 127.0.0.1:1985\r\nUser-Agent: t\r\n\r\n")
        XCTAssertEqual(events.count, 2)
        let h = try XCTUnwrap(heads(events).first)
        XCTAssertEqual(events.last, .end)
        XCTAssertEqual(h.method, "GET")
        XCTAssertEqual(h.target, "/api/v1/streams/?count=5&callback=cb")
        XCTAssertEqual(h.path, "/api/v1/streams/")
        XCTAssertEqual(h.query, "count=5&callback=cb")
        XCTAssertEqual(h.queryValue("count"), "5")
        XCTAssertEqual(h.queryValue("callback"), "cb")
        XCTAssertNil(h.queryValue("start"))
        XCTAssertEqual(h.version, .http1_1)
        XCTAssertEqual(h.headers, [HTTPHeader("Host", "127.0.0.1:1985"), HTTPHeader("User-Agent", "t")])
        XCTAssertEqual(h.header("host"), "127.0.0.1:1985")
        XCTAssertEqual(h.header("HOST"), "127.0.0.1:1985")
        XCTAssertNil(h.header("Range"))
        XCTAssertTrue(h.keepAlive)
    }

    func testHeaderValuesAreTrimmedAndMayBeEmpty() throws {
        let h = try XCTUnwrap(heads(try parse("GET / HTTP/1.1\r\nHost:x\r\nX-A: \t a b \t\r\nX-Empty:\r\nX-A: second\r\n\r\n")).first)
        XCTAssertEqual(h.header("x-a"), "a b")
        XCTAssertEqual(h.header("X-Empty"), "")
        XCTAssertEqual(h.headerValues("X-A"), ["a b", "second"])
    }

    func testContentLengthBody() throws {
        let events = try parse("POST /api/v1/clients HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nhello world")
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[1], .body(Array("hello world".utf8)))
        XCTAssertEqual(events[2], .end)
    }

    func testChunkedBodyIsDecoded() throws {
        let text = "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
            + "5\r\nhello\r\n1;name=value\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n"
        let events = try parse(text)
        XCTAssertEqual(events.count, 3)
        XCTAssertEqual(events[1], .body(Array("hello 0123456789".utf8)))
        XCTAssertEqual(events[2], .end)
    }

    func testNoBodyWithoutLengthEvenForPost() throws {
        for method in ["GET", "HEAD", "DELETE", "POST", "OPTIONS"] {
            let events = try parse("\(method) /a HTTP/1.1\r\nHost: x\r\n\r\n")
            XCTAssertEqual(events.count, 2, method)
            XCTAssertEqual(heads(events).first?.method, method)
            XCTAssertEqual(events.last, .end)
        }
        // Content-Length: 0 is no body either.
        XCTAssertEqual(try parse("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").count, 2)
    }

    func testBareLFLineEndsAreTolerated() throws {
        let events = try parse("GET /a HTTP/1.1\nHost: x\nConnection: close\n\n")
        let h = try XCTUnwrap(heads(events).first)
        XCTAssertEqual(h.header("Host"), "x")
        XCTAssertFalse(h.keepAlive)
        XCTAssertEqual(events.last, .end)
    }

    func testLeadingEmptyLinesAreSkippedUpToALimit() throws {
        XCTAssertEqual(heads(try parse("\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n")).first?.path, "/")
        let many = String(repeating: "\r\n", count: HTTPHeadReader.maxLeadingEmptyLines + 1)
        XCTAssertEqual(status(many + "GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 400)
    }

    func testHTTP10WithoutHostAndAbsoluteAndAsteriskForms() throws {
        let h10 = try XCTUnwrap(heads(try parse("GET /index.html HTTP/1.0\r\n\r\n")).first)
        XCTAssertEqual(h10.version, .http1_0)
        XCTAssertEqual(h10.path, "/index.html")
        let abs = try XCTUnwrap(heads(try parse("GET http://origin:8080/live/s.flv?t=1 HTTP/1.1\r\nHost: x\r\n\r\n")).first)
        XCTAssertEqual(abs.path, "/live/s.flv")
        XCTAssertEqual(abs.queryValue("t"), "1")
        XCTAssertEqual(heads(try parse("GET HTTP://origin HTTP/1.1\r\nHost: x\r\n\r\n")).first?.path, "/")
        XCTAssertEqual(heads(try parse("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")).first?.path, "*")
        XCTAssertEqual(status("GET * HTTP/1.1\r\nHost: x\r\n\r\n"), 400)
        XCTAssertEqual(status("GET http:///a HTTP/1.1\r\nHost: x\r\n\r\n"), 400)
        XCTAssertEqual(status("CONNECT origin:443 HTTP/1.1\r\nHost: x\r\n\r\n"), 400)
    }

    // MARK: - Incremental parsing and pipelining

    static let pipelined: [UInt8] = Array((
        "GET /a?x=1 HTTP/1.1\r\nHost: h\r\n\r\n"
        + "POST /api/v1/clusters HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nabcde"
        + "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n2\r\n!!\r\n0\r\n\r\n"
        + "HEAD /d HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").utf8)

    func testPipelinedRequestsComeOutInOrder() throws {
        let events = try parse([Self.pipelined])
        XCTAssertEqual(heads(events).map(\.method), ["GET", "POST", "PUT", "HEAD"])
        XCTAssertEqual(heads(events).map(\.path), ["/a", "/api/v1/clusters", "/c", "/d"])
        let kinds = events.map { e -> String in
            switch e {
            case .head: return "h"
            case .body(let b): return String(decoding: b, as: UTF8.self)
            case .end: return "e"
            }
        }
        XCTAssertEqual(kinds, ["h", "e", "h", "abcde", "e", "h", "xyz!!", "e", "h", "e"])
        XCTAssertEqual(heads(events).map(\.keepAlive), [true, true, true, true])
    }

    func testSplitAtEveryOffsetGivesTheSameEvents() throws {
        let whole = try parse([Self.pipelined])
        for cut in 0...Self.pipelined.count {
            let parts = [Array(Self.pipelined[..<cut]), Array(Self.pipelined[cut...])]
            XCTAssertEqual(try parse(parts), whole, "cut at \(cut)")
        }
        for (a, b) in [(10, 50), (33, 34), (60, 140), (100, 180)] {
            let parts = [Array(Self.pipelined[..<a]), Array(Self.pipelined[a..<b]), Array(Self.pipelined[b...])]
            XCTAssertEqual(try parse(parts), whole, "cuts at \(a), \(b)")
        }
    }

    func testOneByteAtATime() throws {
        let whole = try parse([Self.pipelined])
        XCTAssertEqual(try parse(Self.pipelined.map { [$0] }), whole)
    }

    func testBodyArrivesAsItComesAndEndOnlyWhenComplete() throws {
        var p = HTTPRequestParser()
        var events = try p.feed(Array("POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nab".utf8))
        XCTAssertEqual(events.count, 2)
        XCTAssertEqual(events.last, .body(Array("ab".utf8)))
        XCTAssertFalse(p.isIdle)
        events = try p.feed(Array("cd".utf8))
        XCTAssertEqual(events, [.body(Array("cd".utf8))])
        events = try p.feed(Array("efGET".utf8))
        XCTAssertEqual(events, [.body(Array("ef".utf8)), .end])
        XCTAssertFalse(p.isIdle)
        events = try p.feed(Array(" / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        XCTAssertEqual(heads(events).first?.path, "/")
        XCTAssertTrue(p.isIdle)
    }

    // MARK: - Keep-alive

    func testKeepAliveRules() throws {
        func keepAlive(_ version: String, _ connection: String?) throws -> Bool {
            let c = connection.map { "Connection: \($0)\r\n" } ?? ""
            return try XCTUnwrap(heads(try parse("GET / \(version)\r\nHost: x\r\n\(c)\r\n")).first).keepAlive
        }
        XCTAssertTrue(try keepAlive("HTTP/1.1", nil))
        XCTAssertFalse(try keepAlive("HTTP/1.1", "close"))
        XCTAssertFalse(try keepAlive("HTTP/1.1", "Upgrade, CLOSE"))
        XCTAssertTrue(try keepAlive("HTTP/1.1", "keep-alive"))
        XCTAssertFalse(try keepAlive("HTTP/1.0", nil))
        XCTAssertTrue(try keepAlive("HTTP/1.0", "Keep-Alive"))
        XCTAssertTrue(try keepAlive("HTTP/1.0", "foo, keep-alive"))
        XCTAssertFalse(try keepAlive("HTTP/1.0", "keep-alive, close"))
    }

    // MARK: - Limits

    func testRequestLineLimitIs414() throws {
        let max = HTTPLimits.request.maxStartLineBytes
        // "GET " + target + " HTTP/1.1" exactly at the limit is accepted.
        let fits = "/" + String(repeating: "a", count: max - 14)
        XCTAssertEqual(heads(try parse("GET \(fits) HTTP/1.1\r\nHost: x\r\n\r\n")).first?.target.count, max - 13)
        XCTAssertEqual(status("GET \(fits)a HTTP/1.1\r\nHost: x\r\n\r\n"), 414)
        XCTAssertEqual(status("GET /\(String(repeating: "a", count: 10000)) HTTP/1.1\r\nHost: x\r\n\r\n"), 414)
        // Refused before any line end arrives: nothing piles up.
        var p = HTTPRequestParser()
        XCTAssertEqual(try p.feed(Array("GET /".utf8)), [])
        XCTAssertThrowsError(try p.feed([UInt8](repeating: 0x61, count: max))) { e in
            XCTAssertEqual((e as? HTTPParseError)?.status, 414)
        }
    }

    func testHeaderBlockLimitIs431() throws {
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: 40000))\r\n\r\n"), 431)
        // 16 KiB including line ends: Host (9 bytes) + a field filling the rest + the blank line.
        let fill = HTTPLimits.request.maxHeaderBytes - 9 - 2 - "X-Big: ".count - 2
        XCTAssertEqual(try parse("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: fill))\r\n\r\n").count, 2)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: x\r\nX-Big: \(String(repeating: "a", count: fill + 1))\r\n\r\n"), 431)
        // Many small fields add up too.
        let many = (0..<90).map { "X-\($0): \(String(repeating: "v", count: 200))\r\n" }.joined()
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: x\r\n\(many)\r\n"), 431)
    }

    func testHeaderCountLimitIs431() throws {
        let fields = { (n: Int) in (1..<n).map { "X-\($0): v\r\n" }.joined() }
        XCTAssertEqual(try parse("GET / HTTP/1.1\r\nHost: x\r\n\(fields(100))\r\n").count, 2)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: x\r\n\(fields(101))\r\n"), 431)
    }

    func testBodyLimitIs413() throws {
        let max = HTTPLimits.request.maxBodyBytes
        XCTAssertEqual(status("POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"), 413)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(max + 1)\r\n\r\n"), 413)
        let fits = try parse([Array("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: \(max)\r\n\r\n".utf8),
                              [UInt8](repeating: 7, count: max)])
        XCTAssertEqual(fits.count, 3)
        XCTAssertEqual(fits[1], .body([UInt8](repeating: 7, count: max)))
        // A chunked body is counted as it is decoded.
        let big = String(max + 1, radix: 16)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\(big)\r\n"), 413)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n"
                              + "\(String(max - 15, radix: 16))\r\n"), 413)
    }

    func testCustomLimits() throws {
        let small = HTTPLimits(maxStartLineBytes: 20, maxHeaderBytes: 30, maxHeaderCount: 2, maxBodyBytes: 4)
        XCTAssertEqual(status("GET /0123456789abcdef HTTP/1.1\r\n\r\n", limits: small), 414)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: x\r\nA: 1\r\nB: 2\r\n\r\n", limits: small), 431)
        XCTAssertEqual(status("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n", limits: small), 413)
        XCTAssertEqual(try parse("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nabcd", limits: small).count, 3)
    }

    // MARK: - Refused requests

    func testMalformedRequestLinesAre400() {
        for text in ["GARBAGE\r\n\r\n", "GET\r\n\r\n", "GET /\r\n\r\n", "GET  / HTTP/1.1\r\nHost: x\r\n\r\n",
                     "GET / HTTP/1.1 \r\nHost: x\r\n\r\n", " GET / HTTP/1.1\r\nHost: x\r\n\r\n",
                     "G(T / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / http/1.1\r\nHost: x\r\n\r\n",
                     "GET / HTTP/1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1.1\r\nHost: x\r\n\r\n",
                     "GET / HTTP/1.10\r\nHost: x\r\n\r\n", "GET / FOO/1.1\r\nHost: x\r\n\r\n",
                     "GET /a\u{0}b HTTP/1.1\r\nHost: x\r\n\r\n", "GET /a\tb HTTP/1.1\r\nHost: x\r\n\r\n",
                     "GET /a\u{7F}b HTTP/1.1\r\nHost: x\r\n\r\n", "GET a/b HTTP/1.1\r\nHost: x\r\n\r\n",
                     "GET /a\rb HTTP/1.1\r\nHost: x\r\n\r\n", "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n"] {
            XCTAssertEqual(status(text), 400, text.debugDescription)
        }
    }

    func testNonUTF8TargetIs400() {
        var p = HTTPRequestParser()
        XCTAssertThrowsError(try p.feed([0x47, 0x45, 0x54, 0x20, 0x2F, 0xFF, 0x20] + Array("HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
        XCTAssertEqual(heads((try? parse("GET /%E4%B8%AD HTTP/1.1\r\nHost: x\r\n\r\n")) ?? []).first?.path, "/中")
        XCTAssertEqual(heads((try? parse("GET /中 HTTP/1.1\r\nHost: x\r\n\r\n")) ?? []).first?.path, "/中")
    }

    func testUnsupportedVersionsAre505() {
        for v in ["HTTP/2.0", "HTTP/1.2", "HTTP/0.9", "HTTP/3.0"] {
            XCTAssertEqual(status("GET / \(v)\r\nHost: x\r\n\r\n"), 505, v)
        }
    }

    func testMalformedHeadersAre400() {
        for fields in ["Host: x\r\n folded: continuation\r\n", "Host: x\r\n\tfolded\r\n", "Host : x\r\n",
                       "Host: x\r\nNoColon\r\n", "Host: x\r\n: empty-name\r\n", "Host: x\r\nBad Name: v\r\n",
                       "Host: x\r\nX: a\u{0}b\r\n", "Host: x\r\nX: a\rb\r\n", "Host: x\r\nX: a\u{1}b\r\n",
                       "Host: x\r\nX(y): v\r\n"] {
            XCTAssertEqual(status("GET / HTTP/1.1\r\n\(fields)\r\n"), 400, fields.debugDescription)
        }
    }

    func testHostRules() {
        XCTAssertEqual(status("GET / HTTP/1.1\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400)
        XCTAssertEqual(status("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"), 400)
    }

    func testSmugglingAndFramingErrors() {
        let base = "POST / HTTP/1.1\r\nHost: x\r\n"
        XCTAssertEqual(status(base + "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400)
        XCTAssertEqual(status(base + "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"), 400)
        XCTAssertEqual(status("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400)
        for cl in ["abc", "-1", "+5", "1,1", "5 5", "", "0x10", "1234567890123456789012"] {
            XCTAssertEqual(status(base + "Content-Length: \(cl)\r\n\r\n"), 400, cl)
        }
        XCTAssertEqual(status(base + "Content-Length: 1\r\nContent-Length: 1\r\n\r\nx"), 400)
        for te in ["gzip", "gzip, chunked", "chunked, chunked", "identity", "chunked;q=1"] {
            XCTAssertEqual(status(base + "Transfer-Encoding: \(te)\r\n\r\n"), 501, te)
        }
        XCTAssertEqual(status(base + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"), 501)
    }

    func testBadChunksAre400() {
        let base = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        for body in ["zz\r\n", "\r\n", "-1\r\n", ";ext\r\n", "5 x\r\n", "3\r\nabcX\r\n", "3\r\nabc\rX",
                     "fffffffffffffffffff\r\n", "1;a\u{0}b\r\nx\r\n", "0\r\nbad trailer\r\n\r\n",
                     "\(String(repeating: "0", count: 5000))1\r\n"] {
            XCTAssertEqual(status(base + body), 400, body.debugDescription)
        }
    }

    func testTraversalIsRefusedByTheParser() {
        for target in ["/../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/..%2f..%2fetc/passwd", "/a/../../etc/passwd",
                       "/a\\..\\b", "/a%00.flv"] {
            XCTAssertEqual(status("GET \(target) HTTP/1.1\r\nHost: x\r\n\r\n"), 400, target)
        }
    }

    // MARK: - Failure handling

    func testStaysFailedAfterAnError() {
        var p = HTTPRequestParser()
        XCTAssertThrowsError(try p.feed(Array("BAD REQUEST\r\n\r\n".utf8)))
        XCTAssertEqual(p.error?.status, 400)
        XCTAssertThrowsError(try p.feed(Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8))) { e in
            XCTAssertEqual(e as? HTTPParseError, p.error)
        }
        XCTAssertFalse(p.isIdle)
    }

    func testCompleteRequestsBeforeAnErrorAreStillReturned() throws {
        var p = HTTPRequestParser()
        let events = try p.feed(Array("GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGARBAGE\r\n\r\n".utf8))
        XCTAssertEqual(heads(events).map(\.path), ["/a", "/b"])
        XCTAssertEqual(events.last, .end)
        XCTAssertEqual(p.error?.status, 400)
        XCTAssertThrowsError(try p.feed([]))
        // The head of a request in progress is not returned when that request is refused.
        var q = HTTPRequestParser()
        XCTAssertThrowsError(try q.feed(Array("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".utf8)))
    }

    func testBinaryGarbageFailsEarly() {
        // A TLS ClientHello to the plain-HTTP port: refused on its first byte, no line end needed.
        var p = HTTPRequestParser()
        XCTAssertThrowsError(try p.feed([0x16, 0x03, 0x01, 0x02, 0x00, 0x01])) { e in
            XCTAssertEqual((e as? HTTPParseError)?.status, 400)
        }
    }

    func testRequestHeadEncodeRoundTrips() throws {
        let h = try HTTPRequestHead(method: "GET", target: "/api/v1/clusters?vhost=v&app=live",
                                    headers: [HTTPHeader("Host", "origin:1985"), HTTPHeader("Connection", "close")])
        XCTAssertEqual(String(decoding: h.encode(), as: UTF8.self),
                       "GET /api/v1/clusters?vhost=v&app=live HTTP/1.1\r\nHost: origin:1985\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(heads(try parse([h.encode()])).first, h)
    }
}
