import XCTest
@testable import Protocol

final class HookURLTests: XCTestCase {
    func testParsing() throws {
        let u = try HookURL(parsing: "http://127.0.0.1:8085/api/v1/streams?x=1")
        XCTAssertEqual([u.scheme, u.host, u.target, u.hostHeader], ["http", "127.0.0.1", "/api/v1/streams?x=1", "127.0.0.1:8085"])
        XCTAssertEqual(u.port, 8085)
        let d = try HookURL(parsing: "http://hooks.default.svc")
        XCTAssertEqual([d.host, d.target, d.hostHeader], ["hooks.default.svc", "/", "hooks.default.svc"])
        XCTAssertEqual(d.port, 80)
        let v6 = try HookURL(parsing: "http://[::1]:9000?q")
        XCTAssertEqual([v6.host, v6.target, v6.hostHeader], ["::1", "/?q", "[::1]:9000"])
        XCTAssertEqual(try HookURL(parsing: "https://h/x").port, 443)
        for bad in ["127.0.0.1:8085/x", "ftp://h/x", "http://", "http://h:99999/", "http://h:x/", "http://h/a b", "http://[::1/x"] {
            XCTAssertThrowsError(try HookURL(parsing: bad), bad)
        }
    }

    /// SRS's on_hls_notify: `[server_id] [service_id] [app] [stream] [ts_url] [param]`, every
    /// occurrence; an absolute segment URI replaces the configured URL.
    func testNotifyTemplate() {
        let server = HookServerIdentity(serverID: "vid-90dh6c5", serviceID: "08m9j1cc")
        let c = HookClient(clientID: "c", ip: "127.0.0.1", vhost: "__defaultVhost__", app: "live", stream: "livestream", param: "?token=abc&x=1")
        XCTAssertEqual(HookURL.notifyURL(template: "http://127.0.0.1:18085/api/v1/hls/[server_id]/[app]/[stream]/[ts_url][param]",
                                         server: server, client: c, tsURL: "livestream-0.ts"),
                       "http://127.0.0.1:18085/api/v1/hls/vid-90dh6c5/live/livestream/livestream-0.ts?token=abc&x=1")
        XCTAssertEqual(HookURL.notifyURL(template: "http://h/[service_id]/[app]/[app]", server: server, client: c, tsURL: "x.ts"),
                       "http://h/08m9j1cc/live/live")
        XCTAssertEqual(HookURL.notifyURL(template: "http://h/[ts_url]", server: server, client: c, tsURL: "http://cdn/live/s-1.ts"),
                       "http://cdn/live/s-1.ts")
    }
}
