import Kernel
import XCTest
@testable import Protocol

final class RTMPRedirectTests: XCTestCase {
    /// The status SRS sends, byte for byte through the chunk layer, and what a client reads of it.
    func testStatusHasSRSShapeAndRoundTrips() throws {
        let m = RTMPRedirect.status(url: "rtmp://10.0.0.2:1936/live/stream?token=abc")
        XCTAssertEqual(m.streamID, 0)
        var d = RTMPChunkDecoder()
        let back = try d.feed(RTMPChunkEncoder.encode(m, chunkSize: 128))
        XCTAssertEqual(back.count, 1)
        let cmd = try RTMPCommand.decode(type: back[0].type, payload: back[0].payload)
        XCTAssertEqual(cmd.name, "onStatus")
        let info = try XCTUnwrap(cmd.arguments.first)
        XCTAssertEqual(info["level"]?.stringValue, "error")
        XCTAssertEqual(info["code"]?.stringValue, "NetConnection.Connect.Rejected")
        XCTAssertEqual(info["description"]?.stringValue, "RTMP 302 Redirect")
        XCTAssertEqual(info["ex"]?["code"]?.numberValue, 302)
        XCTAssertEqual(info["ex"]?["redirect"]?.stringValue, "rtmp://10.0.0.2:1936/live")
        XCTAssertEqual(info["ex"]?["redirect2"]?.stringValue, "rtmp://10.0.0.2:1936/live/stream?token=abc")
        XCTAssertEqual(RTMPRedirect.target(of: cmd), "rtmp://10.0.0.2:1936/live/stream?token=abc")
    }

    func testTargetPrefersRedirect2ThenRedirectAndNeedsLevelError() {
        func status(level: String, ex: [AMF0Property]) -> RTMPCommand {
            RTMPCommand(name: "onStatus", transactionID: 0, arguments: [.object([
                AMF0Property("level", .string(level)), AMF0Property("code", .string("NetConnection.Connect.Rejected")),
                AMF0Property("ex", .object(ex))])])
        }
        XCTAssertEqual(RTMPRedirect.target(of: status(level: "error", ex: [AMF0Property("redirect", .string("rtmp://a/live"))])),
                       "rtmp://a/live")
        XCTAssertEqual(RTMPRedirect.target(of: status(level: "error", ex: [AMF0Property("redirect", .string("rtmp://a/live")),
                                                                           AMF0Property("redirect2", .string("rtmp://b/live/s"))])),
                       "rtmp://b/live/s")
        XCTAssertNil(RTMPRedirect.target(of: status(level: "status", ex: [AMF0Property("redirect2", .string("rtmp://b/live/s"))])))
        XCTAssertNil(RTMPRedirect.target(of: status(level: "error", ex: [AMF0Property("code", .number(302))])))
        XCTAssertNil(RTMPRedirect.target(of: status(level: "error", ex: [AMF0Property("redirect2", .number(1))])))
        // No info object at all, or garbage arguments: no redirect, no trap.
        XCTAssertNil(RTMPRedirect.target(of: RTMPCommand(name: "onStatus", transactionID: 0)))
        XCTAssertNil(RTMPRedirect.target(of: RTMPCommand(name: "onStatus", transactionID: 0, arguments: [.number(1), .null])))
    }

    func testHostPortAndTcUrlOfURLs() {
        XCTAssertEqual(RTMPRedirect.hostPort(of: "rtmp://10.0.0.2:1936/live/s")?.host, "10.0.0.2")
        XCTAssertEqual(RTMPRedirect.hostPort(of: "rtmp://10.0.0.2:1936/live/s")?.port, 1936)
        XCTAssertEqual(RTMPRedirect.hostPort(of: "rtmp://origin.local/live")?.port, 1935)
        XCTAssertEqual(RTMPRedirect.hostPort(of: "rtmp://[::1]:1940/live/s?x=1")?.host, "::1")
        XCTAssertEqual(RTMPRedirect.hostPort(of: "rtmp://[::1]:1940/live/s?x=1")?.port, 1940)
        XCTAssertEqual(RTMPRedirect.hostPort(of: "rtmp://h?x")?.host, "h")
        XCTAssertNil(RTMPRedirect.hostPort(of: "not a url"))
        XCTAssertNil(RTMPRedirect.hostPort(of: "rtmp:///live"))
        XCTAssertNil(RTMPRedirect.hostPort(of: "rtmp://h:99999/live"))
        // A NUL would cut the host the resolver sees short (`evil\0.origin.local` → `evil`).
        XCTAssertNil(RTMPRedirect.hostPort(of: "rtmp://evil\0.origin.local/live/s"))
        XCTAssertNil(RTMPRedirect.hostPort(of: "rtmp://h/live/s\n"))
        XCTAssertEqual(RTMPRedirect.tcUrl(of: "rtmp://h:1/live/s?a=b/c"), "rtmp://h:1/live")
        XCTAssertEqual(RTMPRedirect.tcUrl(of: "rtmp://h:1"), "rtmp://h:1")
    }
}
