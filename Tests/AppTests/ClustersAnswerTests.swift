import Protocol
import XCTest
@testable import App
import Core

final class ClustersAnswerTests: XCTestCase {
    /// SRS's exact shape and member order, plus our `http_port`.
    func testAnswerShapeForAWildcardListener() {
        let origin = ClustersAnswer.origin(listen: ListenAddress(port: 1935), coworker: "10.0.0.5:1985", vhost: "__defaultVhost__",
                                           api: ListenAddress(port: 1985), httpPort: 8080)
        let answer = ClustersAnswer.answer(ip: "192.168.1.2", vhost: "__defaultVhost__", app: "live", stream: "s", origin: origin)
        XCTAssertEqual(answer.encode(), """
            {"code":0,"data":{"query":{"ip":"192.168.1.2","vhost":"__defaultVhost__","app":"live","stream":"s"},\
            "origin":{"ip":"10.0.0.5","port":1935,"vhost":"__defaultVhost__","api":"10.0.0.5:1985","routers":["10.0.0.5:1985"],\
            "http_port":8080}}}
            """)
    }

    func testNotFoundIsNullOrigin() {
        let answer = ClustersAnswer.answer(ip: "", vhost: "", app: "live", stream: "s", origin: .null)
        XCTAssertEqual(answer.encode(), #"{"code":0,"data":{"query":{"ip":"","vhost":"","app":"live","stream":"s"},"origin":null}}"#)
        XCTAssertNil(ClustersAnswer.parse(Array(answer.encode().utf8)))
    }

    func testAdvertisedAddressFollowsSRSRules() {
        // A concrete listen host is advertised as is; the API keeps its own host.
        let fixed = ClustersAnswer.origin(listen: ListenAddress(host: "10.1.1.1", port: 19350), coworker: "x:1985", vhost: "v",
                                          api: ListenAddress(host: "10.1.1.1", port: 1985), httpPort: nil)
        XCTAssertEqual(fixed["ip"]?.stringValue, "10.1.1.1")
        XCTAssertEqual(fixed["port"]?.intValue, 19350)
        XCTAssertEqual(fixed["api"]?.stringValue, "10.1.1.1:1985")
        XCTAssertNil(fixed["http_port"])
        // Loopback and IPv6 wildcard count as "not reachable": the coworker host is used, IPv6 in brackets for the API.
        let v6 = ClustersAnswer.origin(listen: ListenAddress(host: "::", port: 1935), coworker: "[fd00::5]:1985", vhost: "v",
                                       api: ListenAddress(host: "127.0.0.1", port: 1985), httpPort: 8080)
        XCTAssertEqual(v6["ip"]?.stringValue, "fd00::5")
        XCTAssertEqual(v6["api"]?.stringValue, "[fd00::5]:1985")
    }

    func testParse() {
        let ours = ClustersAnswer.answer(ip: "", vhost: "v", app: "a", stream: "s", origin: ClustersAnswer.origin(
            listen: ListenAddress(port: 1935), coworker: "10.0.0.5:1985", vhost: "v", api: ListenAddress(port: 1985), httpPort: 8080))
        XCTAssertEqual(ClustersAnswer.parse(Array(ours.encode().utf8)), DiscoveredOrigin(ip: "10.0.0.5", port: 1935, httpPort: 8080))
        // SRS's answer (no http_port).
        let srs = #"{"code":0,"data":{"query":{"ip":"","vhost":"v","app":"a","stream":"s"},"origin":{"ip":"1.2.3.4","port":1936,"vhost":"v","api":"1.2.3.4:1985","routers":["1.2.3.4:1985"]}}}"#
        XCTAssertEqual(ClustersAnswer.parse(Array(srs.utf8)), DiscoveredOrigin(ip: "1.2.3.4", port: 1936))
        for bad in ["", "[]", #"{"data":1}"#, #"{"data":{"origin":{"ip":"","port":1}}}"#, #"{"data":{"origin":{"ip":"h","port":"1935"}}}"#,
                    #"{"data":{"origin":{"ip":"h","port":70000}}}"#, "{\"data\":{\"origin\":{\"ip\":\"h\",\"port\":1935,\"http_port\":-1}}}"] {
            let parsed = ClustersAnswer.parse(Array(bad.utf8))
            if bad.contains("http_port") {
                XCTAssertEqual(parsed, DiscoveredOrigin(ip: "h", port: 1935), bad)
            } else {
                XCTAssertNil(parsed, bad)
            }
        }
    }
}
