import Kernel
import XCTest
@testable import Protocol

final class StreamNameTests: XCTestCase {
    func request(tcUrl: String, app: String? = nil, stream: String? = nil) -> RTMPRequest {
        var r = RTMPRequest()
        r.setConnect(tcUrl: tcUrl, app: app)
        if let stream { r.setStream(stream) }
        return r
    }

    func testOrdinaryNamesAreAccepted() {
        for (tcUrl, app, stream) in [("rtmp://127.0.0.1:1935/live", "live", "livestream"),
                                     ("rtmp://demo.com/live?vhost=v.com&token=a%00b", "live?vhost=v.com", "s?k=v&x=%0a"),
                                     ("rtmp://h/live/sub", "live/sub", "a/b/c.flv"), ("rtmp://h/直播", "直播", "流 1"),
                                     ("rtmp://[::1]:1940/live", "live", "..."), ("rtmp://h/live", "live", "..a/b.."),
                                     ("rtmp://h/live", "", "x")] {
            XCTAssertNil(request(tcUrl: tcUrl, app: app, stream: stream).nameRefusal, "\(tcUrl) \(app) \(stream)")
        }
        // An empty stream is left to the callers' own check (publish without a name is malformed).
        XCTAssertNil(request(tcUrl: "rtmp://h/live", app: "live").nameRefusal)
    }

    func testControlCharactersAreRefusedInEveryField() {
        let cases: [(RTMPRequest, String)] = [
            (request(tcUrl: "rtmp://127.0.0.1/victim.html\0", app: "victim.html\0", stream: "x"), "tcUrl"),
            (request(tcUrl: "rtmp://127.0.0.1/live", app: "victim.html\0"), "app"),
            (request(tcUrl: "rtmp://127.0.0.1/victim.html\0"), "tcUrl"),
            (request(tcUrl: "rtmp://h/live", app: "live", stream: "ctl.m3u8\0"), "stream"),
            (request(tcUrl: "rtmp://h/live", app: "live", stream: "log\ninject [Error] fake"), "stream"),
            (request(tcUrl: "rtmp://h/live", app: "live", stream: "x?vhost=a\0b"), "vhost"),
            (request(tcUrl: "rtmp://h/live", app: "live", stream: "x?token=\r\n"), "param"),
            (request(tcUrl: "rtmp://h/live", app: "live?k=\u{1B}", stream: "x"), "param"),
            (request(tcUrl: "rtmp://h/live", app: "live", stream: "a\u{7F}"), "stream"),
            (request(tcUrl: "rtmp://h/live", app: "live", stream: "a\u{85}"), "stream"),
            (request(tcUrl: "rtmp://h/live", app: "live", stream: "a\u{2028}b"), "stream"),
            (request(tcUrl: "rtmp://h/live", app: "live", stream: "a\tb"), "stream"),
        ]
        for (r, field) in cases {
            XCTAssertEqual(r.nameRefusal?.field, field, "\(r)")
            XCTAssertEqual(r.nameRefusal?.reason, "has a control character")
        }
    }

    func testPathComponentsThatCollideOrClimbAreRefused() {
        for stream in ["../ctl", "a/../b", "a//b", "./x", "x/.", "a/./b", ".", ".."] {
            let r = request(tcUrl: "rtmp://h/live", app: "live", stream: stream)
            XCTAssertEqual(r.nameRefusal?.field, "stream", stream)
        }
        for app in ["live/..", "a//b", "./live", "..", "a/./b"] {
            XCTAssertEqual(request(tcUrl: "rtmp://h/x", app: app).nameRefusal?.field, "app", app)
        }
        for vhost in ["a/b", "..", "."] {
            let r = request(tcUrl: "rtmp://h/live", app: "live", stream: "s?vhost=\(vhost)")
            XCTAssertEqual(r.nameRefusal?.field, "vhost", vhost)
        }
        XCTAssertEqual(StreamName.refusal(vhost: "v", app: "live", stream: "../x", param: "")?.description,
                       "stream \"../x\" has an empty, . or .. path component")
    }

    func testRandomNamesAreRefusedExactlyWhenTheyHoldAControlCharacterOrABadComponent() {
        var rng = FastRandom(seed: 7)
        let alphabet: [Character] = ["a", "/", ".", "\0", "\n", "\u{85}", "?", "=", "&", "中"]
        for _ in 0..<5_000 {
            let stream = String((0..<Int.random(in: 1...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            let r = request(tcUrl: "rtmp://h/live", app: "live", stream: stream)
            let all = r.tcUrl + r.vhost + r.app + r.stream + r.param
            let components = r.stream.isEmpty ? [] : r.stream.split(separator: "/", omittingEmptySubsequences: false)
            let bad = all.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x85 }
                || components.contains { $0.isEmpty || $0 == "." || $0 == ".." }
                || r.vhost.contains("/") || r.vhost == "." || r.vhost == ".."
            XCTAssertEqual(r.nameRefusal != nil, bad, stream.debugDescription)
        }
    }
}

