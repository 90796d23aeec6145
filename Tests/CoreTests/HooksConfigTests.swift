import Protocol
import XCTest
@testable import Core

final class HooksConfigTests: XCTestCase {
    func load(_ vhost: String, env: [String: String] = [:]) throws -> ConfigLoadResult {
        try ConfigLoader.parse("listen 1935; vhost __defaultVhost__ { \(vhost) }", file: "t.conf", environment: env)
    }

    func error(_ vhost: String) -> String {
        do {
            _ = try load(vhost)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testDefaultsAreSRSs() throws {
        let v = try XCTUnwrap(try load("").config.vhosts.first)
        XCTAssertFalse(v.hooks.enabled)
        XCTAssertEqual(v.hooks.timeoutMs, 30_000)
        XCTAssertEqual(v.hooks.notifyReadBytes, 64)
        XCTAssertTrue(v.hooks.hlsSessions)
        XCTAssertFalse(v.security.enabled)
        XCTAssertNil(v.security.refusal(.publish, ip: "1.2.3.4"), "security off accepts everyone")
    }

    func testHooksAreReadInOrder() throws {
        let r = try load("""
            http_hooks {
                enabled on;
                on_publish http://a:8085/p http://[::1]:9/q;
                on_hls_notify http://cdn/[app]/[stream]/[ts_url][param];
                timeout 2s;
            }
            hls { hls_nb_notify 16; hls_ctx off; }
            """)
        let h = try XCTUnwrap(r.config.vhosts.first).hooks
        XCTAssertEqual(h.urls(.publish), ["http://a:8085/p", "http://[::1]:9/q"])
        XCTAssertEqual(h.urls(.play), [])
        XCTAssertEqual(h.notifyTemplates, ["http://cdn/[app]/[stream]/[ts_url][param]"])
        XCTAssertEqual(h.timeoutMs, 2000)
        XCTAssertEqual(h.notifyReadBytes, 16)
        XCTAssertFalse(h.hlsSessions)
        XCTAssertEqual(r.warnings, [])
        // Hooks off: no URL is called, whatever is configured.
        let off = try XCTUnwrap(try load("http_hooks { on_publish http://a/p; }").config.vhosts.first).hooks
        XCTAssertEqual(off.urls(.publish), [])
    }

    /// SRS's environment overrides apply to the default vhost.
    func testEnvironment() throws {
        let h = try XCTUnwrap(try load("", env: ["SRS_VHOST_HTTP_HOOKS_ENABLED": "on",
                                               "SRS_VHOST_HTTP_HOOKS_ON_PLAY": "http://h/1 http://h/2"]).config.vhosts.first).hooks
        XCTAssertEqual(h.urls(.play), ["http://h/1", "http://h/2"])
    }

    func testBadValues() throws {
        XCTAssertTrue(error("http_hooks { on_play h:80/x; }").contains("on_play: hook url h:80/x: no scheme"), error("http_hooks { on_play h:80/x; }"))
        XCTAssertTrue(error("http_hooks { timeout 10; }").contains("timeout 10 is out of range"))
        XCTAssertTrue(error("security { allow play; }").contains("allow needs an action"))
        XCTAssertTrue(error("security { deny play 0.0.0.0/0; }").contains("not a valid network"), error("security { deny play 0.0.0.0/0; }"))
        let w = try load("http_hooks { on_play https://h/x; } security { allow watch all; deny play localhost; }").warnings
        XCTAssertEqual(w.count, 3, "\(w)")
        XCTAssertTrue(w[0].contains("https is not supported"))
        XCTAssertTrue(w[1].contains("matches nothing"))
        XCTAssertTrue(w[2].contains("matches only a client address written exactly so"))
    }

    func testSecurityRules() throws {
        let s = try XCTUnwrap(try load("security { enabled on; deny publish 10.0.0.9; allow publish 10.0.0.0/8; }").config.vhosts.first).security
        XCTAssertNil(s.refusal(.publish, ip: "10.1.2.3"))
        XCTAssertEqual(s.refusal(.publish, ip: "10.0.0.9"), "deny by rule<10.0.0.9>")
        XCTAssertEqual(s.refusal(.play, ip: "10.1.2.3"), "not allowed by any of 1/1 rules")
    }
}
