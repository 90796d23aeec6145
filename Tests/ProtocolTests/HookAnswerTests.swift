import XCTest
@testable import Protocol

/// SRS 7's `do_post`: 200 or 201, then `0` exactly or an object with the integer code 0.
final class HookAnswerTests: XCTestCase {
    func refusal(_ status: Int, _ body: String) -> String? { HookAnswer.refusal(status: status, body: Array(body.utf8)) }

    func testAccepted() {
        for (status, body) in [(200, "0"), (200, #"{"code":0}"#), (201, #"{"code": 0, "data": "x"}"#), (200, #" {"code":0} "#),
                               (200, #"{"msg":"ok","code":0}"#), (200, #"{"code":0,"code":1}"#)] {
            XCTAssertNil(refusal(status, body), "\(status) \(body)")
        }
    }

    func testRefused() {
        for (status, body) in [(403, "0"), (500, #"{"code":0}"#), (204, ""), (200, ""), (200, "ok"), (200, "1"), (200, "0\n"),
                               (200, " 0"), (200, #"{"code":1}"#), (200, #"{"code":"0"}"#), (200, #"{"code":0.0}"#),
                               (200, #"{"data":0}"#), (200, "[0]"), (200, "null"), (200, #"{"code":0"#)] {
            XCTAssertNotNil(refusal(status, body), "\(status) \(body)")
        }
        XCTAssertEqual(refusal(403, "0"), "http status 403")
        XCTAssertEqual(refusal(200, #"{"code":403}"#), #"response object code 403: {"code":403}"#)
    }
}
