import XCTest
@testable import Protocol

final class RTMPRequestTests: XCTestCase {
    func testPlainTcUrlAndStream() {
        var r = RTMPRequest()
        r.setConnect(tcUrl: "rtmp://127.0.0.1:19350/live", app: "live")
        r.setStream("livestream")
        XCTAssertEqual(r.host, "127.0.0.1")
        XCTAssertEqual(r.port, 19350)
        XCTAssertEqual(r.vhost, "127.0.0.1")
        XCTAssertEqual(r.app, "live")
        XCTAssertEqual(r.stream, "livestream")
        XCTAssertEqual(r.streamKey.url, "/live/livestream")
        XCTAssertEqual(r.streamKey.description, "\(r.vhost)/live/livestream")
    }

    func testVhostFromAppOrStreamParams() {
        var r = RTMPRequest()
        r.setConnect(tcUrl: "rtmp://10.0.0.1/live?vhost=demo.com", app: "live?vhost=demo.com")
        XCTAssertEqual(r.vhost, "demo.com")
        XCTAssertEqual(r.app, "live")
        XCTAssertEqual(r.port, 1935)
        var s = RTMPRequest()
        s.setConnect(tcUrl: "rtmp://10.0.0.1/live", app: "live")
        s.setStream("stream?token=abc&vhost=other.com")
        XCTAssertEqual(s.vhost, "other.com")
        XCTAssertEqual(s.stream, "stream")
        XCTAssertEqual(s.param, "?token=abc&vhost=other.com")
        var old = RTMPRequest()
        old.setConnect(tcUrl: "rtmp://10.0.0.1/live...vhost...legacy.com", app: nil)
        XCTAssertEqual(old.vhost, "legacy.com")
        XCTAssertEqual(old.app, "live")
    }

    func testIPv6AndDefaultPorts() {
        XCTAssertEqual(RTMPRequest.splitHostPort("[::1]:1936", defaultPort: 1935).0, "::1")
        XCTAssertEqual(RTMPRequest.splitHostPort("[::1]:1936", defaultPort: 1935).1, 1936)
        XCTAssertEqual(RTMPRequest.splitHostPort("host", defaultPort: 1935).1, 1935)
        XCTAssertEqual(RTMPRequest.splitHostPort("host:8080", defaultPort: 80).1, 8080)
    }

    func testCommandDecodeToleratesAMF3Prefix() throws {
        let m = RTMPCommand(name: "play", transactionID: 4, arguments: [.string("s")]).message()
        let cmd = try RTMPCommand.decode(type: RTMPMessageType.amf3Command, payload: [0] + m.payload)
        XCTAssertEqual(cmd.name, "play")
        XCTAssertEqual(cmd.transactionID, 4)
        XCTAssertEqual(cmd.stringArgument(0), "s")
        XCTAssertThrowsError(try RTMPCommand.decode(type: RTMPMessageType.amf0Command, payload: [0, 0, 0, 0, 0, 0, 0, 0, 0]))
    }
}
