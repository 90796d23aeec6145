import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `security` allow/deny rules by client address, with clients from 127.0.0.2, .3, .4 (the
/// whole 127/8 is loopback on Linux).
final class SecurityIntegrationTests: XCTestCase {
    static func config(_ rules: String) -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_server { enabled on; listen {HTTP}; dir ./html; }
        vhost __defaultVhost__ {
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
            security {
                enabled on;
                \(rules)
            }
        }
        """
    }

    private func publish(_ srs: SRSProcess, from source: String, _ name: String) throws -> RTMPStartProbe {
        try RTMPStartProbe(port: srs.rtmpPort, source: source, name: name, publish: true)
    }

    private func play(_ srs: SRSProcess, from source: String, _ name: String) throws -> RTMPStartProbe.Outcome {
        let p = try RTMPStartProbe(port: srs.rtmpPort, source: source, name: name, publish: false)
        p.close()
        return p.outcome
    }

    /// The status of an HTTP-FLV GET from `source`.
    private func flvStatus(_ srs: SRSProcess, from source: String, _ path: String) throws -> Int {
        let fd = try RTMPStartProbe.connect(port: srs.httpPort, source: source)
        defer { close(fd) }
        RawClient.send(fd, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(srs.httpPort)\r\n\r\n".utf8))
        let head = String(decoding: RawClient.receive(fd, count: 12, timeout: 5), as: UTF8.self)
        return Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
    }

    /// SRS's order: a matching deny refuses (whatever the allows), then a matching allow
    /// accepts, else refused because allow rules exist. RTMP publish and play, HTTP-FLV play.
    func testAllowAndDenyByAddressAndNetwork() throws {
        let srs = try SRSProcess(config: Self.config("""
            deny publish 127.0.0.3;
            allow publish 127.0.0.0/30;
            deny play 127.0.0.4;
            allow play all;
            """))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        let p = try publish(srs, from: "127.0.0.2", "s")
        defer { p.close() }
        XCTAssertEqual(p.outcome, .started)
        let denied = try publish(srs, from: "127.0.0.3", "t")
        denied.close()
        XCTAssertEqual(denied.outcome, .refused(code: "NetStream.Publish.Denied", description: "denied by security rules"))
        XCTAssertTrue(srs.log.contains("reject publish __defaultVhost__/live/t: security: deny by rule<127.0.0.3>"), srs.log)
        let outside = try publish(srs, from: "127.0.0.5", "u")
        outside.close()
        XCTAssertEqual(outside.outcome, .refused(code: "NetStream.Publish.Denied", description: "denied by security rules"))
        XCTAssertTrue(srs.log.contains("security: not allowed by any of 2/2 rules"), srs.log)
        XCTAssertEqual(try play(srs, from: "127.0.0.4", "s"), .refused(code: "NetStream.Play.Failed", description: "denied by security rules"))
        XCTAssertEqual(try play(srs, from: "127.0.0.5", "s"), .started)
        XCTAssertEqual(try flvStatus(srs, from: "127.0.0.4", "/live/s.flv"), 403)
        XCTAssertEqual(try flvStatus(srs, from: "127.0.0.3", "/live/s.flv"), 200)
        XCTAssertTrue(srs.log.contains("reject publish"), srs.log)
    }

    /// Only deny rules: what they do not deny is accepted. No rule at all: everything is refused.
    func testOnlyDenyRulesAndNoRules() throws {
        let srs = try SRSProcess(config: Self.config("deny play 127.0.0.0/24;"))
        defer { srs.stop() }
        try srs.waitListening()
        let p = try publish(srs, from: "127.0.0.2", "s")
        defer { p.close() }
        XCTAssertEqual(p.outcome, .started)
        XCTAssertEqual(try play(srs, from: "127.0.1.2", "s"), .started)
        XCTAssertEqual(try play(srs, from: "127.0.0.9", "s"), .refused(code: "NetStream.Play.Failed", description: "denied by security rules"))
        XCTAssertTrue(srs.log.contains("security: deny by rule<127.0.0.0/24>"), srs.log)

        let none = try SRSProcess(config: Self.config(""))
        defer { none.stop() }
        try none.waitListening()
        let q = try publish(none, from: "127.0.0.2", "s")
        q.close()
        XCTAssertEqual(q.outcome, .refused(code: "NetStream.Publish.Denied", description: "denied by security rules"))
        XCTAssertTrue(none.log.contains("security: not allowed by any of 0/0 rules"), none.log)
    }
}
