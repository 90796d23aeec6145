import XCTest
@testable import Protocol

final class HTTPPathTests: XCTestCase {
    func testNormalPathsAreAccepted() {
        let cases: [(String, String)] = [
            ("/", "/"), ("/index.html", "/index.html"), ("/live/livestream.flv", "/live/livestream.flv"),
            ("/api/v1/streams/", "/api/v1/streams/"), ("//a///b", "/a/b"), ("/a/./b", "/a/b"), ("/a/.", "/a/"),
            ("/./", "/"), ("/a%20b", "/a b"), ("/%E4%B8%AD%e6%96%87", "/中文"), ("/live/a+b.m3u8", "/live/a+b.m3u8"),
            ("/...", "/..."), ("/..a/b..", "/..a/b.."), ("/a.b/c", "/a.b/c"), ("/%2e/x", "/x"),
            // Decoded once only: a double-encoded dot-dot is the literal name "%2e%2e", not a step up.
            ("/%252e%252e/x", "/%2e%2e/x"), ("/%25", "/%"),
        ]
        for (raw, expected) in cases {
            XCTAssertEqual(HTTPPath.normalize(raw), expected, raw)
        }
    }

    func testTraversalAndDangerousBytesAreRefused() {
        let refused = [
            "/..", "/../", "/../etc/passwd", "/a/../b", "/a/..", "/a/b/../../../etc/passwd",
            "/%2e%2e/etc/passwd", "/%2E%2e/", "/%2e%2E", "/.%2e/x", "/%2e./x",
            "/..%2f..%2fetc/passwd", "/..%2F", "/a%2fb", "/a%2Fb",
            "/a\\b", "/..\\..\\etc", "/a%5cb", "/a%5C..%5Cb",
            "/a%00", "/a%00.html", "/%0d%0aSet-Cookie:x", "/a%7f", "/a%09b",
            "/%zz", "/%2", "/%", "/a%g0",
            "/%ff", "/%c0%ae%c0%ae/etc",  // not UTF-8 (overlong dots)
            "/a%c2%85", "/a%c2%9b31m", "/a%e2%80%a8b", "/live/x.flv%00", "/live%00/x.flv", "/x%1b[31m",  // C1, U+2028, NUL, ESC
            "", "a/b", "..", "%2e%2e/x",
        ]
        for raw in refused {
            XCTAssertNil(HTTPPath.normalize(raw), raw)
        }
    }

    func testQueryDecoding() throws {
        let h = try HTTPRequestHead(method: "GET", target: "/api/v1/clusters?vhost=a%2Eb&app=live+x%20y&flag&=v&k=%zz&stream=s&stream=t&p=../..")
        XCTAssertEqual(h.path, "/api/v1/clusters")
        XCTAssertEqual(h.queryValue("vhost"), "a.b")
        XCTAssertEqual(h.queryValue("app"), "live x y")
        XCTAssertEqual(h.queryValue("flag"), "")
        XCTAssertEqual(h.queryValue(""), "v")
        XCTAssertEqual(h.queryValue("k"), "%zz")
        XCTAssertEqual(h.queryValue("stream"), "s")
        XCTAssertEqual(h.queryValue("p"), "../..")
        XCTAssertEqual(h.queryItems.count, 8)
        XCTAssertEqual(h.query, "vhost=a%2Eb&app=live+x%20y&flag&=v&k=%zz&stream=s&stream=t&p=../..")
    }

    func testFragmentIsIgnoredAndQueryMayBeEmpty() throws {
        let h = try HTTPRequestHead(method: "GET", target: "/a/b.html?x=1#top")
        XCTAssertEqual(h.path, "/a/b.html")
        XCTAssertEqual(h.queryValue("x"), "1")
        let e = try HTTPRequestHead(method: "GET", target: "/a?")
        XCTAssertEqual(e.path, "/a")
        XCTAssertEqual(e.query, "")
        XCTAssertEqual(e.queryItems, [])
    }

    func testControlCharactersInTheDecodedQueryAre400() throws {
        for target in ["/live/x.flv?vhost=a%00b", "/x?token=%0a", "/x?a=%0d%0aSet-Cookie:b", "/x?%1b=1", "/x?a=%7f",
                       "/x?a=%c2%85", "/x?a=%e2%80%a9", "/api/v1/streams/?callback=a%00"] {
            XCTAssertThrowsError(try HTTPRequestHead(method: "GET", target: target), target) { e in
                XCTAssertEqual((e as? HTTPParseError)?.status, 400)
            }
        }
        // Escaped text that decodes to ordinary characters is fine.
        XCTAssertEqual(try HTTPRequestHead(method: "GET", target: "/x?a=%e4%b8%ad%20b+c").queryValue("a"), "中 b c")
    }

    func testRefusedTargetThrows400() {
        XCTAssertThrowsError(try HTTPRequestHead(method: "GET", target: "/a/../../etc/passwd")) { e in
            XCTAssertEqual((e as? HTTPParseError)?.status, 400)
        }
    }
}
