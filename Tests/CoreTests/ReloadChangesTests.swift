import XCTest
@testable import Core

final class ReloadChangesTests: XCTestCase {
    func config(_ text: String) throws -> ServerConfig { try ConfigLoader.parse("listen 1935;\n" + text).config }

    func testLogLinesNameWhatChanged() throws {
        let old = try config("http_api { enabled off; } vhost __defaultVhost__ { hls { enabled off; } } vhost gone { }")
        let new = try config("http_api { enabled on; } max_connections 10; vhost __defaultVhost__ { hls { enabled on; } play { gop_cache off; } } vhost added { }")
        XCTAssertEqual(old.reloadChanges(to: new), [
            "reload max_connections success.",
            "reload http_api off=>on success.",
            "reload new vhost added success.",
            "reload removed vhost gone success.",
            "vhost __defaultVhost__ reload hls off=>on success.",
            "vhost __defaultVhost__ reload play success.",
        ])
        XCTAssertEqual(old.reloadChanges(to: old), [])
        XCTAssertEqual(old.reloadChanges(to: try config("http_api { enabled off; } client_header_timeout 5s; vhost __defaultVhost__ { hls { enabled off; } } vhost gone { }")),
                       ["reload client timeouts success."])
    }

    func testClusterModeCannotChangeLive() throws {
        let origin = try config("vhost v { }")
        let edge = try config("vhost v { cluster { mode remote; origin 127.0.0.1:1936; } }")
        XCTAssertEqual(origin.reloadRefusal(to: edge), "vhost v mode changed (local => remote), restart to apply")
        XCTAssertNil(edge.reloadRefusal(to: try config("vhost v { cluster { mode remote; origin 127.0.0.1:1937; } }")))
    }
}
