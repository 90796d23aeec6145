import XCTest
@testable import Core
import Protocol

final class SRTServerConfigTests: XCTestCase {
    private func load(_ text: String, env: [String: String] = [:]) throws -> ConfigLoadResult {
        try ConfigLoader.parse("listen 1935; " + text, environment: env)
    }

    func testSRSDefaults() throws {
        let c = try load("srt_server { } vhost __defaultVhost__ { srt { } }")
        XCTAssertEqual(c.warnings, [])
        XCTAssertEqual(c.config.srtServer, SRTServerConfig())
        let s = c.config.srtServer
        XCTAssertFalse(s.enabled)
        XCTAssertEqual(s.port, 10080)
        XCTAssertEqual([s.options.latencyMs, s.options.recvLatencyMs, s.options.peerLatencyMs, s.options.connectTimeoutMs, s.options.peerIdleTimeoutMs], [120, 120, 0, 3000, 10000])
        XCTAssertEqual([s.options.mss, s.options.payloadSize, s.options.sendBufferBytes, s.options.keyLength], [1500, 1316, 8192 * 1472, 0])
        XCTAssertEqual(s.options.maxBandwidth, -1)
        XCTAssertEqual(s.defaultApp, "live")
        XCTAssertFalse(c.config.vhosts[0].srt.enabled)
        XCTAssertTrue(c.config.vhosts[0].srt.toRTMP)
    }

    func testDirectivesEnvironmentAndTheOldSpelling() throws {
        let c = try load("""
            srt_server { enabled on; listen 10081; latency 200; peerlatency 50; recvlatency 300; maxbw 1000000; mss 1400;
                         connect_timeout 4000; peer_idle_timeout 5000; default_app app; passphrase 0123456789; pbkeylen 16;
                         tlpkdrop off; }
            vhost __defaultVhost__ { srt { enabled on; srt_to_rtmp off; } }
            """, env: ["SRS_SRT_SERVER_LATENCY": "250", "SRS_VHOST_SRT_ENABLED": "off"])
        let s = c.config.srtServer
        XCTAssertTrue(s.enabled)
        XCTAssertEqual(s.port, 10081)
        XCTAssertEqual([s.options.latencyMs, s.options.peerLatencyMs, s.options.recvLatencyMs, s.options.mss, s.options.connectTimeoutMs, s.options.peerIdleTimeoutMs, s.options.keyLength],
                       [250, 50, 300, 1400, 4000, 5000, 16])
        XCTAssertEqual(s.options.maxBandwidth, 1_000_000)
        XCTAssertEqual(s.defaultApp, "app")
        XCTAssertEqual(s.options.passphrase, "0123456789")
        XCTAssertFalse(s.options.tooLatePacketDrop)
        XCTAssertFalse(c.config.vhosts[0].srt.enabled)
        XCTAssertFalse(c.config.vhosts[0].srt.toRTMP)
        XCTAssertEqual(c.warnings, [])
    }

    func testInvalidValuesAreRefused() {
        for bad in ["passphrase short;", "passphrase 0123456789; pbkeylen 20;", "default_app a/b;", "listen 70000;", "payloadsize 100;", "mss 1000; payloadsize 1316;"] {
            XCTAssertThrowsError(try load("srt_server { enabled on; \(bad) }"), bad)
        }
    }

    func testUnsupportedDirectivesWarn() throws {
        let c = try load("srt_server { sei_filter on; }")
        XCTAssertEqual(c.warnings.count, 1)
        XCTAssertTrue(c.warnings[0].contains("sei_filter"), "\(c.warnings)")
    }

    func testSlotsAndTheirJSON() throws {
        var config = try load("srt_server { enabled on; listen 10082; }").config
        let slots = ListenerSpec.srtSlots(for: config, count: 3)
        XCTAssertEqual(slots.map(\.srtSlot), [0, 1, 2])
        XCTAssertEqual(Set(slots.map(\.address)), [ListenAddress(port: 10082)])
        for s in slots { XCTAssertEqual(ListenerSpec(json: s.json), s) }
        XCTAssertNil(ListenerSpec(address: ListenAddress(port: 1935), kind: .rtmp).srtSlot)
        config.srtServer.enabled = false
        XCTAssertEqual(ListenerSpec.srtSlots(for: config, count: 3), [])
        // Not among the TCP listeners.
        XCTAssertFalse(ListenerSpec.all(for: config).contains { $0.srtSlot != nil })
    }
}
