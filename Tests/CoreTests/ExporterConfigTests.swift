import XCTest
@testable import Core

/// `exporter { enabled; listen; label; tag; }` as SRS reads it, its environment overrides, and
/// the listener the master binds for it.
final class ExporterConfigTests: XCTestCase {
    private func config(_ text: String, env: [String: String] = [:]) throws -> ServerConfig {
        try ConfigLoader.parse("listen 1935; \(text) vhost __defaultVhost__ {}", file: "t.conf", environment: env).config
    }

    func testDefaultsAndDirectives() throws {
        let off = try config("")
        XCTAssertEqual(off.exporter, ExporterConfig())
        XCTAssertFalse(off.exporter.enabled)
        XCTAssertEqual(off.exporter.listen.port, 9972)
        let on = try ConfigLoader.parse("listen 1935; exporter { enabled on; listen 19972; label cn-beijing; tag cn-edge; } vhost __defaultVhost__ {}",
                                        file: "t.conf", environment: [:])
        XCTAssertEqual(on.warnings, [])
        XCTAssertTrue(on.config.exporter.enabled)
        XCTAssertEqual(on.config.exporter.listen.port, 19972)
        XCTAssertEqual(on.config.exporter.label, "cn-beijing")
        XCTAssertEqual(on.config.exporter.tag, "cn-edge")
    }

    func testEnvironmentOverrides() throws {
        let c = try config("", env: ["SRS_EXPORTER_ENABLED": "on", "SRS_EXPORTER_LISTEN": "9973",
                                     "SRS_EXPORTER_LABEL": "eu", "SRS_EXPORTER_TAG": "edge"])
        XCTAssertEqual(c.exporter.enabled, true)
        XCTAssertEqual(c.exporter.listen.port, 9973)
        XCTAssertEqual(c.exporter.label, "eu")
        XCTAssertEqual(c.exporter.tag, "edge")
    }

    /// Its own port serves the API's mux (SRS's does); a port shared with the API needs no
    /// second socket.
    func testListener() throws {
        let c = try config("http_api { enabled on; listen 1985; } exporter { enabled on; }")
        XCTAssertEqual(ListenerSpec.all(for: c).last, ListenerSpec(address: ListenAddress(port: 9972), kind: .http(api: true, files: false)))
        let shared = try config("http_api { enabled on; listen 1985; } exporter { enabled on; listen 1985; }")
        XCTAssertEqual(ListenerSpec.all(for: shared).filter { $0.address.port == 1985 }.count, 1)
        XCTAssertEqual(ListenerSpec.all(for: try config("exporter { enabled off; }")).count, 1)
    }
}
