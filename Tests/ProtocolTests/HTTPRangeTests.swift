import XCTest
@testable import Protocol

final class HTTPRangeTests: XCTestCase {
    func testSingleRanges() {
        XCTAssertEqual(HTTPRange.parse("bytes=0-9", size: 100), .partial(0, 9))
        XCTAssertEqual(HTTPRange.parse("bytes=10-", size: 100), .partial(10, 99))
        XCTAssertEqual(HTTPRange.parse("bytes=-10", size: 100), .partial(90, 99))
        XCTAssertEqual(HTTPRange.parse("bytes=99-99", size: 100), .partial(99, 99))
        XCTAssertEqual(HTTPRange.parse(" Bytes=5-6 ", size: 100), .partial(5, 6))
    }

    func testEndIsClampedToTheFile() {
        XCTAssertEqual(HTTPRange.parse("bytes=50-500", size: 100), .partial(50, 99))
        XCTAssertEqual(HTTPRange.parse("bytes=-500", size: 100), .partial(0, 99))
        XCTAssertEqual(HTTPRange.parse("bytes=0-99999999999999999999999", size: 100), .partial(0, 99))
    }

    func testUnsatisfiable() {
        XCTAssertEqual(HTTPRange.parse("bytes=100-", size: 100), .unsatisfiable)
        XCTAssertEqual(HTTPRange.parse("bytes=100-200", size: 100), .unsatisfiable)
        XCTAssertEqual(HTTPRange.parse("bytes=99999999999999999999999-", size: 100), .unsatisfiable)
        XCTAssertEqual(HTTPRange.parse("bytes=-0", size: 100), .unsatisfiable)
        XCTAssertEqual(HTTPRange.parse("bytes=0-", size: 0), .unsatisfiable)
        XCTAssertEqual(HTTPRange.parse("bytes=-5", size: 0), .unsatisfiable)
    }

    func testIgnoredHeadersServeTheWholeFile() {
        for h in [nil, "", "bytes=", "bytes=-", "bytes=a-b", "bytes=5", "bytes=9-5", "bytes=--5", "bytes=+1-2",
                  "items=0-9", "0-9", "bytes=0-9,20-29", "bytes=0-0,-1"] {
            XCTAssertEqual(HTTPRange.parse(h, size: 100), .full, h ?? "nil")
        }
    }
}

final class HTTPStatusAndMIMETests: XCTestCase {
    func testReasons() {
        XCTAssertEqual(HTTPStatus.reason(200), "OK")
        XCTAssertEqual(HTTPStatus.reason(206), "Partial Content")
        XCTAssertEqual(HTTPStatus.reason(404), "Not Found")
        XCTAssertEqual(HTTPStatus.reason(413), "Content Too Large")
        XCTAssertEqual(HTTPStatus.reason(414), "URI Too Long")
        XCTAssertEqual(HTTPStatus.reason(416), "Range Not Satisfiable")
        XCTAssertEqual(HTTPStatus.reason(431), "Request Header Fields Too Large")
        XCTAssertEqual(HTTPStatus.reason(505), "HTTP Version Not Supported")
        XCTAssertEqual(HTTPStatus.reason(499), "Client Error")
        XCTAssertEqual(HTTPStatus.reason(42), "Unknown")
    }

    func testMIMETypes() {
        XCTAssertEqual(MIMEType.forPath("/live/s.m3u8"), "application/vnd.apple.mpegurl")
        XCTAssertEqual(MIMEType.forPath("/live/s-1.ts"), "video/MP2T")
        XCTAssertEqual(MIMEType.forPath("/live/s.flv"), "video/x-flv")
        XCTAssertEqual(MIMEType.forPath("/v.MP4"), "video/mp4")
        XCTAssertEqual(MIMEType.forPath("./objs/nginx/html/index.html"), "text/html; charset=utf-8")
        XCTAssertEqual(MIMEType.forPath("/a.htm"), "text/html; charset=utf-8")
        XCTAssertEqual(MIMEType.forPath("/crossdomain.xml"), "text/xml")
        XCTAssertEqual(MIMEType.forPath("/app.js"), "application/javascript")
        XCTAssertEqual(MIMEType.forPath("/s.css"), "text/css")
        XCTAssertEqual(MIMEType.forPath("/d.json"), "application/json")
        XCTAssertEqual(MIMEType.forPath("/favicon.ico"), "image/x-icon")
        XCTAssertEqual(MIMEType.forPath("/m.wasm"), "application/wasm")
        XCTAssertEqual(MIMEType.forPath("/live/s.mpd"), "application/dash+xml")
        XCTAssertEqual(MIMEType.forPath("/README"), "application/octet-stream")
        XCTAssertEqual(MIMEType.forPath("/dir.d/README"), "application/octet-stream")
        XCTAssertEqual(MIMEType.forPath("/a.unknown"), "application/octet-stream")
    }
}
