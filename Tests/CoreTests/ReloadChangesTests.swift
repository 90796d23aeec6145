import XCTest
@testable import Core

final class ReloadChangesTests: XCTestCase {
    func config(_ text: String) throws -> ServerConfig { try ConfigLoader.parse("listen 1935;\n" + text).config }

    func testLogLinesNameWhatChanged() throws {
        let old = try config("http_api { enabled off; } vhost __defaultVhost__ { hls { enabled off; } } vhost gone { }")
        let new = try config("http_api { enabled on; } max_connections 10; vhost __defaultVhost__ { hls { enabled on; } play { gop_cache off; } } vhost added { }")
        XCTAssertEqual(old.changes(to: new).logLines, [
            "reload max_connections success.",
            "reload http_api off=>on success.",
            "reload new vhost added success.",
            "reload removed vhost gone success.",
            "vhost __defaultVhost__ reload hls off=>on success.",
            "vhost __defaultVhost__ reload play success.",
        ])
        XCTAssertEqual(old.changes(to: old).logLines, [])
        XCTAssertEqual(old.changes(to: try config("http_api { enabled off; } client_header_timeout 5s; vhost __defaultVhost__ { hls { enabled off; } } vhost gone { }")).logLines,
                       ["reload client timeouts success."])
    }

    func testWorkersLearnWhatServesEachVhostNow() throws {
        let old = try config("vhost __defaultVhost__ { hls { enabled on; } } vhost a { } vhost b { hls { enabled on; } }")
        let new = try config("vhost __defaultVhost__ { hls { enabled on; hls_fragment 2; } } vhost b { enabled off; } vhost c { }")
        let c = old.changes(to: new)
        XCTAssertEqual(old.changes(to: old), ConfigChanges())
        // `a` went: the default vhost serves its name now, with its new HLS settings.
        XCTAssertFalse(c.stopsServing(vhost: "a"))
        XCTAssertEqual(c.hls(ofVhost: "a")?.before?.enabled, false)
        XCTAssertEqual(c.hls(ofVhost: "a")?.after?.fragment, 2)
        // `b` is disabled: nothing serves it.
        XCTAssertTrue(c.stopsServing(vhost: "b"))
        XCTAssertEqual(c.hls(ofVhost: "b")?.before?.enabled, true)
        XCTAssertNil(c.hls(ofVhost: "b")?.after)
        // A name no config has follows the default vhost.
        XCTAssertEqual(c.hls(ofVhost: "other.com")?.after?.fragment, 2)
        XCTAssertFalse(c.stopsServing(vhost: "other.com"))
        XCTAssertNil(try config("vhost x { }").changes(to: try config("vhost x { } max_connections 5;")).hls(ofVhost: "x"))
        XCTAssertTrue(try config("vhost __defaultVhost__ { }").changes(to: try config("vhost x { }")).stopsServing(vhost: "y"))
    }

    func testClusterModeCannotChangeLive() throws {
        let origin = try config("vhost v { }")
        let edge = try config("vhost v { cluster { mode remote; origin 127.0.0.1:1936; } }")
        XCTAssertEqual(origin.reloadRefusal(to: edge), "vhost v mode changed (local => remote), restart to apply")
        XCTAssertNil(edge.reloadRefusal(to: try config("vhost v { cluster { mode remote; origin 127.0.0.1:1937; } }")))
    }
}
