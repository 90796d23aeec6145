import XCTest
@testable import Protocol

/// SRS 7's `SrsSecurity`: deny rules first, then allow rules; no match refuses when there is an
/// allow rule or no rule, accepts when there are only deny rules.
final class SecurityRulesTests: XCTestCase {
    func rules(_ list: [(Bool, String, String)]) -> SecurityRules {
        SecurityRules(list.map { SecurityRules.Rule(allow: $0.0, action: $0.1, target: $0.2) })
    }

    func testSRSOrder() {
        let none = rules([])
        XCTAssertEqual(none.refusal(.play, ip: "1.2.3.4"), "not allowed by any of 0/0 rules")
        let onlyDeny = rules([(false, "publish", "all")])
        XCTAssertNil(onlyDeny.refusal(.play, ip: "1.2.3.4"))
        XCTAssertEqual(onlyDeny.refusal(.publish, ip: "1.2.3.4"), "deny by rule<all>")
        // An allow rule of the other action still makes "no match" a refusal.
        let allowPublish = rules([(true, "publish", "10.0.0.0/8")])
        XCTAssertEqual(allowPublish.refusal(.play, ip: "10.1.1.1"), "not allowed by any of 1/0 rules")
        XCTAssertNil(allowPublish.refusal(.publish, ip: "10.1.1.1"))
        XCTAssertEqual(allowPublish.refusal(.publish, ip: "11.1.1.1"), "not allowed by any of 1/0 rules")
        // Deny wins over allow, whatever their order.
        let both = rules([(true, "play", "all"), (false, "play", "127.0.0.2"), (true, "publish", "127.0.0.0/8"), (false, "publish", "127.0.0.3/32")])
        XCTAssertNil(both.refusal(.play, ip: "127.0.0.1"))
        XCTAssertEqual(both.refusal(.play, ip: "127.0.0.2"), "deny by rule<127.0.0.2>")
        XCTAssertNil(both.refusal(.publish, ip: "127.0.0.2"))
        XCTAssertEqual(both.refusal(.publish, ip: "127.0.0.3"), "deny by rule<127.0.0.3/32>")
        XCTAssertEqual(both.refusal(.publish, ip: "10.0.0.1"), "not allowed by any of 2/2 rules")
        // An unknown action counts as a rule and matches nothing.
        XCTAssertEqual(rules([(true, "view", "all")]).refusal(.play, ip: "1.1.1.1"), "not allowed by any of 1/0 rules")
    }

    func testTargets() {
        let r = rules([(true, "play", "192.168.1.0/24"), (true, "play", "fd00::/8"), (true, "play", "host.name")])
        XCTAssertNil(r.refusal(.play, ip: "192.168.1.77"))
        XCTAssertNotNil(r.refusal(.play, ip: "192.168.2.1"))
        XCTAssertNil(r.refusal(.play, ip: "fd12:3456::1"))
        XCTAssertNotNil(r.refusal(.play, ip: "fe80::1"))
        // A dual-stack listener's IPv4 client matches IPv4 networks.
        XCTAssertNil(r.refusal(.play, ip: "::ffff:192.168.1.9"))
        // SRS compares other words with the address as text.
        XCTAssertNil(r.refusal(.play, ip: "host.name"))
        XCTAssertNotNil(rules([(true, "play", "10.0.0.1")]).refusal(.play, ip: "10.0.0.10"))
        XCTAssertEqual(SecurityRules.targetWarning("10.0.0.0/0") != nil, true)
        XCTAssertNil(SecurityRules.targetWarning("10.0.0.0/8"))
        XCTAssertNil(SecurityRules.targetWarning("all"))
        XCTAssertNotNil(SecurityRules.targetWarning("localhost"))
    }

    func testNetworks() throws {
        XCTAssertEqual(IPAddress("10.1.2.3")?.bytes, [10, 1, 2, 3])
        XCTAssertEqual(IPAddress("::1")?.bytes, [UInt8](repeating: 0, count: 15) + [1])
        XCTAssertEqual(IPAddress("::ffff:1.2.3.4")?.mappedIPv4?.bytes, [1, 2, 3, 4])
        XCTAssertEqual(IPAddress("2001:db8::8:800:200c:417a")?.bytes.count, 16)
        for bad in ["", "1.2.3", "1.2.3.256", "01234.1.1.1", "1.2.3.4.5", "1::2::3", "12345::", "g::1", "1:2:3:4:5:6:7:8:9", "[::1]"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
        for bad in ["10.0.0.0/0", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/8x", "::/129", "x/8"] { XCTAssertNil(IPNetwork(bad), bad) }
        let n = try XCTUnwrap(IPNetwork("10.2.0.0/15"))
        XCTAssertTrue(n.contains(IPAddress("10.3.255.255")!))
        XCTAssertFalse(n.contains(IPAddress("10.4.0.0")!))
        XCTAssertTrue(try XCTUnwrap(IPNetwork("0.0.0.0/1")).contains(IPAddress("127.0.0.1")!))
        XCTAssertFalse(try XCTUnwrap(IPNetwork("0.0.0.0/1")).contains(IPAddress("::1")!))
        XCTAssertTrue(try XCTUnwrap(IPNetwork("::/0")).contains(IPAddress("::1")!))
    }
}
