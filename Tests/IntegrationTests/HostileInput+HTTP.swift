import Foundation
import Kernel
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// HTTP attacks: request smuggling, path traversal, Range abuse, huge and many headers.
extension HostileInputTests {
    /// One answer: status, headers (lower-case names), body.
    struct Answer {
        var status: Int
        var headers: [String: String]
        var body: [UInt8]
    }

    /// Sends `raw` on a new connection and reads until the server closes it; expects exactly
    /// the answers `statuses`, in order, and the connection closed.
    @discardableResult
    func httpAttack(_ name: String, port: Int? = nil, _ raw: String, statuses: [Int],
                    file: StaticString = #filePath, line: UInt = #line) throws -> [Answer] {
        try httpAttack(name, port: port, Array(raw.utf8), statuses: statuses, file: file, line: line)
    }

    @discardableResult
    func httpAttack(_ name: String, port: Int? = nil, _ raw: [UInt8], statuses: [Int],
                    file: StaticString = #filePath, line: UInt = #line) throws -> [Answer] {
        let a = try Attacker(port: port ?? srs.httpPort)
        a.send(raw)
        let (bytes, closed) = a.readUntilClosed()
        XCTAssertTrue(closed, "\(name): the connection was not closed", file: file, line: line)
        let answers = Self.answers(bytes)
        XCTAssertEqual(answers.map(\.status), statuses, "\(name): \(String(decoding: bytes.prefix(300), as: UTF8.self))",
                       file: file, line: line)
        return answers
    }

    /// Splits a byte stream into answers framed by Content-Length (every answer here has one).
    static func answers(_ bytes: [UInt8]) -> [Answer] {
        var out: [Answer] = []
        var rest = bytes[...]
        while let end = HTTPClient.find(Array(rest), [13, 10, 13, 10]) {
            let head = String(decoding: rest.prefix(end), as: UTF8.self).components(separatedBy: "\r\n")
            let parts = head[0].split(separator: " ")
            guard parts.count >= 2, parts[0] == "HTTP/1.1", let status = Int(parts[1]) else { break }
            var headers: [String: String] = [:]
            for h in head.dropFirst() {
                if let c = h.firstIndex(of: ":") { headers[h[..<c].lowercased()] = h[h.index(after: c)...].trimmingCharacters(in: .whitespaces) }
            }
            let length = Int(headers["content-length"] ?? "0") ?? 0
            let bodyStart = rest.startIndex + end + 4
            let body = Array(rest[bodyStart..<min(rest.endIndex, bodyStart + length)])
            out.append(Answer(status: status, headers: headers, body: body))
            rest = rest[min(rest.endIndex, bodyStart + length)...]
        }
        return out
    }

    static func get(_ target: String, _ headers: String = "") -> String {
        "GET \(target) HTTP/1.1\r\nHost: x\r\n\(headers)Connection: close\r\n\r\n"
    }

    func testRequestSmugglingIsRefused() throws {
        let api = srs.apiPort
        let smuggled = "GET /api/v1/summaries HTTP/1.1\r\nHost: x\r\n\r\n"
        let cases: [(String, String, [Int])] = [
            ("CL + TE", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + smuggled, [400]),
            ("TE + CL", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n" + smuggled, [400]),
            ("two equal Content-Length", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n" + smuggled, [400]),
            ("two different Content-Length", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\n" + smuggled, [400]),
            ("a Content-Length list", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 0\r\n\r\n" + smuggled, [400]),
            ("a signed Content-Length", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nContent-Length: +0\r\n\r\n" + smuggled, [400]),
            ("a negative Content-Length", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n" + smuggled, [400]),
            ("a 2^64 Content-Length", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n", [400]),
            ("a space before the colon", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\n\r\n" + smuggled, [400]),
            ("TE chunked, identity", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", [501]),
            ("TE xchunked", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n", [501]),
            ("TE twice", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", [501]),
            ("TE in HTTP/1.0", "POST /api/v1/versions HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", [400]),
            ("TE by obs-fold", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n", [400]),
            ("obs-fold", "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\nX-A: a\r\n\tb\r\n\r\n", [400]),
            ("a bare CR", "GET /api/v1/versions HTTP/1.1\rHost: x\r\n\r\n", [400]),
            ("a NUL in a value", "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\nX-A: a\u{0}b\r\n\r\n", [400]),
            ("no Host", "GET /api/v1/versions HTTP/1.1\r\n\r\n", [400]),
            ("two Hosts", "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", [400]),
            ("a chunk size of 2^72", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n", [400]),
            ("a chunk size that is not hex", "POST /api/v1/versions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", [400]),
            ("HTTP/2.0", "GET /api/v1/versions HTTP/2.0\r\nHost: x\r\n\r\n", [505]),
            ("a lower-case version", "GET /api/v1/versions http/1.1\r\nHost: x\r\n\r\n", [400]),
            ("two spaces in the request line", "GET  /api/v1/versions HTTP/1.1\r\nHost: x\r\n\r\n", [400]),
            ("a control byte in the method", "G\u{1}T /api/v1/versions HTTP/1.1\r\nHost: x\r\n\r\n", [400]),
            ("good, good, then bad", String(repeating: "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\n\r\n", count: 2)
                + "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n" + smuggled, [200, 200, 400]),
        ]
        for (name, raw, statuses) in cases {
            try httpAttack(name, port: api, raw, statuses: statuses)
            assertHealthy(after: name)
        }
        // Bare LF line ends are taken, as nginx takes them.
        try httpAttack("bare LF", port: api, "GET /api/v1/versions HTTP/1.1\nHost: x\nConnection: close\n\n", statuses: [200])
    }

    func testPathTraversalEncodingsAreRefused() throws {
        let secret = "listen \(srs.rtmpPort)"
        let cases: [(String, Int)] = [
            ("/../srs.conf", 400), ("/..%2fsrs.conf", 400), ("/%2e%2e/srs.conf", 400), ("/%2E%2e%2Fsrs.conf", 400),
            ("/.%2e/srs.conf", 400), ("/%2e./srs.conf", 400), ("/a/../../srs.conf", 400), ("/range.bin/../../srs.conf", 400),
            ("/..%5csrs.conf", 400), ("/..\\srs.conf", 400), ("/%c0%ae%c0%ae/srs.conf", 400), ("/%00/../srs.conf", 400),
            ("/%252e%252e/srs.conf", 404), ("/%252e%252e%252fsrs.conf", 404), ("/..;/srs.conf", 404), ("//srs.conf", 404),
            ("http://127.0.0.1/../srs.conf", 400), ("http://127.0.0.1/%2e%2e/srs.conf", 400), ("http://x/..%2f..%2fsrs.conf", 400),
            ("HTTP://127.0.0.1:1/%2e%2e%2f%2e%2e%2fsrs.conf", 400), ("https:///srs.conf", 400), ("srs.conf", 400),
            ("/range.bin%00.html", 400), ("/%2e/range.bin", 200), ("http://evil.example/range.bin", 200),
        ]
        for (target, status) in cases {
            let answers = try httpAttack("GET \(target)", Self.get(target), statuses: [status])
            XCTAssertFalse(answers.contains { String(decoding: $0.body, as: UTF8.self).contains(secret) }, "\(target) leaked srs.conf")
            if status == 200 { XCTAssertEqual(answers.first?.body, rangeFile, target) }
        }
        assertHealthy(after: "traversal encodings")
    }

    func testRangeAbuse() throws {
        let size = rangeFile.count
        let many = (0..<1000).map { "\($0)-\($0)" }.joined(separator: ",")
        // (Range header, status, the bytes expected when 206)
        let cases: [(String, Int, ArraySlice<UInt8>?)] = [
            ("bytes=\(many)", 200, nil), ("bytes=0-499,250-749", 200, nil), ("bytes=0-0,0-0,0-0", 200, nil),
            ("bytes=0-99999999999999999999999", 206, rangeFile[...]), ("bytes=99999999999999999999999-", 416, nil),
            ("bytes=-100", 206, rangeFile[(size - 100)...]), ("bytes=-99999999999999999999", 206, rangeFile[...]),
            ("bytes=-0", 416, nil), ("bytes=-5-10", 200, nil), ("bytes=--5", 200, nil), ("bytes=500-100", 200, nil),
            ("bytes=\(size)-", 416, nil), ("bytes=\(size - 1)-", 206, rangeFile[(size - 1)...]), ("bytes=abc", 200, nil),
            ("items=0-1", 200, nil), ("bytes=0x10-0x20", 200, nil), ("bytes= 10 - 19 ", 206, rangeFile[10...19]),
        ]
        for (range, status, expected) in cases {
            let name = "Range: \(range.prefix(40))"
            let answers = try httpAttack(name, Self.get("/range.bin", "Range: \(range)\r\n"), statuses: [status])
            guard let answer = answers.first else { continue }
            switch status {
            case 200: XCTAssertEqual(answer.body, rangeFile, name)
            case 206: XCTAssertEqual(answer.body[...], expected, name)
            default: XCTAssertEqual(answer.headers["content-range"], "bytes */\(size)", name)
            }
        }
        assertHealthy(after: "range abuse")
    }

    func testHugeAndManyHeaders() throws {
        let api = srs.apiPort
        let headers = { (n: Int) in (0..<n).map { "X-\($0): v\r\n" }.joined() }
        try httpAttack("100 header fields", port: api, "GET /api/v1/versions HTTP/1.1\r\nConnection: close\r\n\(headers(98))Host: x\r\n\r\n",
                       statuses: [200])
        let cases: [(String, String, Int)] = [
            ("101 header fields", "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\n\(headers(100))\r\n", 431),
            ("10000 header fields", "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\n\(headers(10_000))\r\n", 431),
            ("a 17 KiB value", "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\nX-A: \(String(repeating: "a", count: 17 * 1024))\r\n\r\n", 431),
            ("a 17 KiB name", "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\n\(String(repeating: "n", count: 17 * 1024)): v\r\n\r\n", 431),
            ("a header line that never ends", "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\nX-A: \(String(repeating: "a", count: 100_000))", 431),
            ("a 9 KiB request line", "GET /\(String(repeating: "a", count: 9 * 1024)) HTTP/1.1\r\nHost: x\r\n\r\n", 414),
            ("a request line that never ends", "GET /\(String(repeating: "a", count: 100_000))", 414),
            ("17 empty lines first", String(repeating: "\r\n", count: 17) + "GET /api/v1/versions HTTP/1.1\r\nHost: x\r\n\r\n", 400),
            ("a 2 MiB body", "POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nContent-Length: 2097152\r\n\r\n", 413),
        ]
        for (name, raw, status) in cases {
            try httpAttack(name, port: api, raw, statuses: [status])
            assertHealthy(after: name)
        }
    }

    /// Query strings and ids no client should send, to the API while a stream is published.
    func testAPIQueryAbuse() throws {
        let api = srs.apiPort
        let max = String(Int.max)
        let cases: [(String, Int)] = [
            // start + count overflowed and killed the worker (SIGILL) while any stream was published.
            ("/api/v1/streams/?start=1&count=\(max)", 0), ("/api/v1/clients/?start=1&count=\(max)", 0),
            ("/api/v1/streams/?start=\(max)&count=\(max)", 0), ("/api/v1/clients/?start=-1&count=-1", 0),
            ("/api/v1/streams/?count=99999999999999999999999", 0), ("/api/v1/versions?callback=alert(1)//", 0),
            ("/api/v1/versions?callback=%3Cscript%3E", 0), ("/api/v1/streams/\(String(repeating: "x", count: 5000))", 2048),
        ]
        for (target, code) in cases {
            let answers = try httpAttack("GET \(target.prefix(60))", port: api, Self.get(target), statuses: [200])
            let body = answers.first?.body ?? []
            XCTAssertEqual(answers.first?.headers["content-type"], "application/json", target)
            let json = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
            XCTAssertEqual(json?["code"] as? Int, code, "\(target): \(String(decoding: body.prefix(200), as: UTF8.self))")
            assertHealthy(after: "GET \(target.prefix(60))")
        }
        // Refused ids, and control characters in a decoded query (refused by the parser), get 400.
        for target in ["/api/v1/clients/%00", "/api/v1/clients/%2e%2e", "/api/v1/clients/..%2f..%2fx",
                       "/api/v1/clusters?vhost=%00&app=..&stream=%0a%0d"] {
            try httpAttack("DELETE \(target)", port: api, "DELETE \(target) HTTP/1.1\r\nHost: x\r\n\r\n", statuses: [400])
        }
        assertHealthy(after: "DELETE of refused ids")
    }

    /// Valid requests mutated from a fixed seed: each gets answers or a close, never a hang, and
    /// the worker stays up.
    func testMutatedRequests() throws {
        var rng = FastRandom(seed: 0x4854_5450)
        let corpus = [
            "GET /api/v1/versions?callback=cb HTTP/1.1\r\nHost: x\r\n\r\n",
            "GET /range.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=10-20\r\n\r\n",
            "POST /api/v1/clusters?vhost=v&app=live HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\r\nbody",
            "POST /api/v1/clusters HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nbody\r\n0\r\nT: v\r\n\r\n",
            "HEAD /live/live.flv HTTP/1.0\r\n\r\n",
            "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
        ]
        for i in 0..<60 {
            var b = Array(corpus[i % corpus.count].utf8)
            for _ in 0..<rng.int(1...6) {
                switch rng.next() % 4 {
                case 0: b[rng.int(0...(b.count - 1))] = UInt8(truncatingIfNeeded: rng.next())
                case 1: b.insert(UInt8(truncatingIfNeeded: rng.next()), at: rng.int(0...b.count))
                case 2: b.remove(at: rng.int(0...(b.count - 1)))
                default: b.insert(contentsOf: [[13, 10], [10], [58], [32], [37, 50, 101]][rng.int(0...4)], at: rng.int(0...b.count))
                }
            }
            let a = try Attacker(port: i % 2 == 0 ? srs.httpPort : srs.apiPort)
            a.send(b)
            a.finishSending()
            let (bytes, closed) = a.readUntilClosed()
            XCTAssertTrue(closed, "mutated request #\(i) hangs: \(String(decoding: b, as: UTF8.self).debugDescription)")
            XCTAssertTrue(bytes.isEmpty || bytes.starts(with: Array("HTTP/1.1 ".utf8)), "mutated request #\(i): \(bytes.prefix(40))")
            XCTAssertEqual(Processes.children(of: srs.pid), [workerPid], "mutated request #\(i) crashed the worker:\n\(srs.log)")
        }
        assertHealthy(after: "60 mutated requests")
    }

    /// Pipelined requests for a 64 KiB file from a client that never reads: the worker answers
    /// a few and stops reading until they are read, instead of queueing every answer (2000 such
    /// requests took 128 MB, and the worker was busy with them for seconds).
    func testPipelinedFloodOfAClientThatNeverReads() throws {
        let before = Memory.rssKB(pid: workerPid)
        let a = try Attacker(port: srs.httpPort, receiveBuffer: 4096, sendTimeout: 1)
        let requests = Array("GET /flood.bin HTTP/1.1\r\nHost: x\r\n\r\n".utf8).repeated(2000)
        let sent = a.flood(requests, limit: requests.count, seconds: 5)
        // The API answers once the worker is done with what it read.
        assertHealthy(after: "\(sent / 36) pipelined requests")
        let grown = Memory.rssKB(pid: workerPid) - before
        XCTAssertLessThan(grown, 48 * 1024, "the worker grew by \(grown) KB for \(sent) bytes of requests it cannot answer")
    }
}
