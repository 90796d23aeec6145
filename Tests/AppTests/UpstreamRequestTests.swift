import Protocol
import XCTest
@testable import App
import Core

final class UpstreamRequestTests: XCTestCase {
    func testTcUrlPerEndpointAndStreamName() {
        let r = UpstreamRequest(vhost: "__defaultVhost__", app: "live", stream: "s", param: "?vhost=x&token=1&domain=y&k=v")
        XCTAssertEqual(r.param, "?token=1&k=v")
        XCTAssertEqual(r.streamName, "s?token=1&k=v")
        XCTAssertEqual(r.tcUrl(for: .tcp(host: "10.0.0.1", port: 1935)), "rtmp://10.0.0.1/live")
        XCTAssertEqual(r.tcUrl(for: .tcp(host: "10.0.0.1", port: 19350)), "rtmp://10.0.0.1:19350/live")
        XCTAssertEqual(r.tcUrl(for: .tcp(host: "fd00::1", port: 1936)), "rtmp://[fd00::1]:1936/live")
        XCTAssertEqual(r.tcUrl(for: .unix(path: "@relay")), "rtmp://localhost/live")
        // A named vhost travels as the tcUrl host.
        let v = UpstreamRequest(vhost: "demo.com", app: "live", stream: "s")
        XCTAssertEqual(v.tcUrl(for: .tcp(host: "10.0.0.1", port: 1935)), "rtmp://demo.com/live")
        XCTAssertEqual(v.streamName, "s")
        // token_traverse: the client's tcUrl as is.
        let t = UpstreamRequest(vhost: "v", app: "live", stream: "s", clientTcUrl: "rtmp://edge/live?token=abc")
        XCTAssertEqual(t.tcUrl(for: .tcp(host: "10.0.0.1", port: 1935)), "rtmp://edge/live?token=abc")
        XCTAssertEqual(RTMPClientOptions.appField(of: "rtmp://edge/live?token=abc", fallback: "x"), "live?token=abc")
        XCTAssertEqual(RTMPClientOptions.appField(of: "rtmp://edge", fallback: "x"), "x")
    }

    func testFromClientWithVhostTransformAndTokenTraverse() {
        var client = RTMPRequest()
        client.setConnect(tcUrl: "rtmp://edge.example.com/live?token=1", app: "live?token=1")
        client.setStream("s?k=v")
        client.vhost = "__defaultVhost__"
        var cluster = ClusterConfig()
        cluster.mode = .remote
        cluster.upstreamVhost = "origin-[vhost]"
        cluster.tokenTraverse = true
        let r = UpstreamRequest(client: client, cluster: cluster)
        XCTAssertEqual(r.vhost, "origin-__defaultVhost__")
        XCTAssertEqual(r.clientTcUrl, "rtmp://edge.example.com/live?token=1")
        XCTAssertEqual(r.streamName, "s?token=1&k=v")
        let h = UpstreamRequest(vhost: "__defaultVhost__", app: "live", stream: "s", query: "a=1", cluster: ClusterConfig())
        XCTAssertEqual(h.streamName, "s?a=1")
        XCTAssertNil(h.clientTcUrl)
    }

    /// SRS's `srs_generate_rtmp_url` for the RTMP 302.
    func testRedirectURL() {
        var r = RTMPRequest()
        r.setConnect(tcUrl: "rtmp://127.0.0.1:1935/live", app: "live")
        r.setStream("s?token=1")
        r.vhost = "__defaultVhost__"
        let o = DiscoveredOrigin(ip: "10.0.0.2", port: 1936)
        XCTAssertEqual(ClusterService.redirectURL(o, request: r), "rtmp://10.0.0.2:1936/live/s?token=1")
        // A host name the client used travels as vhost=, as SRS guesses it.
        var named = RTMPRequest()
        named.setConnect(tcUrl: "rtmp://play.example.com/live", app: "live")
        named.setStream("s")
        named.vhost = "__defaultVhost__"
        XCTAssertEqual(ClusterService.redirectURL(o, request: named), "rtmp://10.0.0.2:1936/live/s?vhost=play.example.com")
        var vh = named
        vh.vhost = "demo"
        XCTAssertEqual(ClusterService.redirectURL(DiscoveredOrigin(ip: "fd00::2", port: 1935), request: vh), "rtmp://[fd00::2]:1935/live/s?vhost=demo")
    }
}
