import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Names a hostile client chooses (a NUL that truncates file paths, `..`, newlines that forge log
/// lines) are refused where they enter, with SRS's status codes, and never reach a file or a log
/// line raw (issue 13, parts 1 and 2).
final class HostileNamesTests: XCTestCase {
    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_server { enabled on; listen {HTTP}; dir ./html; }
        vhost __defaultVhost__ {
            hls { enabled on; hls_fragment 1; hls_window 10; hls_path ./html; hls_dispose 120; }
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
        }
        """

    /// Every file under `dir`, by relative path, with its bytes.
    func snapshot(_ dir: URL) -> [String: Data] {
        var out: [String: Data] = [:]
        guard let e = FileManager.default.enumerator(atPath: dir.path) else { return out }
        for case let rel as String in e {
            let p = dir.appendingPathComponent(rel).path
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue {
                out[rel] = FileManager.default.contents(atPath: p) ?? Data()
            }
        }
        return out
    }

    /// How many RTMP connections the server logged as closed.
    func closedCount(_ srs: SRSProcess) -> Int { srs.log.components(separatedBy: " closed (").count - 1 }

    /// Waits until the server logged the end of `n` more RTMP connections than `base`.
    func waitClosed(_ srs: SRSProcess, _ n: Int, after base: Int) throws {
        let ok = Deadline.wait(timeout: 10) { closedCount(srs) >= base + n }
        if !ok { throw TestError("fewer than \(n) more closed connections logged:\n\(srs.log)") }
    }

    func testNULAndDotDotNamesCannotOverwriteFiles() throws {
        let srs = try SRSProcess(config: Self.config)
        defer { srs.stop() }
        let html = srs.dir.appendingPathComponent("html")
        try FileManager.default.createDirectory(at: html, withIntermediateDirectories: true)
        let victim = Data("<html>the operator's page</html>\n".utf8)
        try victim.write(to: html.appendingPathComponent("victim.html"))
        try srs.waitListening()

        // Another stream goes live and leaves its playlist and segments (hls_dispose 120 keeps them).
        let start = try RTMPRawSession.run(port: srs.rtmpPort, app: "live", stream: "ctl")
        XCTAssertTrue(start.contains("NetStream.Publish.Start"), start)
        try srs.waitForLog("unpublish stream __defaultVhost__/live/ctl", timeout: 10)
        let base = closedCount(srs)
        let before = snapshot(html)
        XCTAssertNotNil(before["live/ctl.m3u8"], "HLS is on: the honest stream wrote its playlist: \(before.keys.sorted())")
        XCTAssertEqual(before["victim.html"], victim)

        // `victim.html\0` as the app: refused at connect.
        var answer = try RTMPRawSession.run(port: srs.rtmpPort, app: "victim.html\0", stream: "x")
        XCTAssertTrue(answer.contains("NetConnection.Connect.Rejected"), "app with NUL: \(answer)")
        XCTAssertFalse(answer.contains("NetStream.Publish.Start"))
        // The same in the tcUrl only (the app field empty: the app comes from the tcUrl).
        answer = try RTMPRawSession.run(port: srs.rtmpPort, app: "", stream: "x", tcUrl: "rtmp://127.0.0.1/victim.html\0")
        XCTAssertTrue(answer.contains("NetConnection.Connect.Rejected"), "tcUrl with NUL: \(answer)")
        // Stream names that would land on another stream's playlist: refused at publish.
        var closed = 2
        for stream in ["ctl.m3u8\0", "ctl.m3u8\0?token=1", "../ctl", "x?vhost=a\0b", "ctl\u{7F}", "a\u{85}b"] {
            answer = try RTMPRawSession.run(port: srs.rtmpPort, app: "live", stream: stream)
            XCTAssertTrue(answer.contains("NetStream.Publish.BadName"), "publish \(stream.debugDescription): \(answer)")
            XCTAssertFalse(answer.contains("NetStream.Publish.Start"), "publish \(stream.debugDescription)")
            closed += 1
        }
        // Played, such a name is not found.
        answer = try RTMPRawSession.run(port: srs.rtmpPort, app: "live", stream: "ctl.m3u8\0", command: .play)
        XCTAssertTrue(answer.contains("NetStream.Play.StreamNotFound"), "play with NUL: \(answer)")
        XCTAssertFalse(answer.contains("NetStream.Play.Start"))
        closed += 1
        try waitClosed(srs, closed, after: base)

        // Byte for byte, nothing changed and nothing new was written.
        XCTAssertEqual(snapshot(html), before)
        XCTAssertTrue(srs.log.contains("victim.html\\x00"), "the refusal is logged, escaped:\n\(srs.log)")
        XCTAssertTrue(srs.process.isRunning)
    }

    func testControlCharactersInHTTPRequestsGet400() throws {
        let srs = try SRSProcess(config: Self.config)
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        for path in ["/live/x.flv%00", "/live/ctl.m3u8%00", "/live/ctl.m3u8%00.m3u8", "/live%00/x.flv", "/live/x%0d%0a.flv",
                     "/live/x%7f.flv", "/live/x%c2%85.flv", "/live/x.flv?vhost=a%00b", "/live/x.flv?token=%0a",
                     "/live/ctl.m3u8?x=%0d%0aSet-Cookie:a", "/victim.html?a=%1b"] {
            let r = try HTTPClient.get(srs.httpPort, path)
            XCTAssertEqual(r.status, 400, "GET \(path)")
        }
        XCTAssertTrue(srs.process.isRunning)
    }

    func testNewlinesInNamesCannotForgeLogLines() throws {
        let srs = try SRSProcess(config: Self.config)
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        let base = closedCount(srs)
        let forged = "[2020-02-19 11:07:20.818][Error][1][forged00] fake"
        // A name with a newline is refused, and the refusal names it without breaking the line.
        let answer = try RTMPRawSession.run(port: srs.rtmpPort, app: "live", stream: "log\ninject [Error] fake")
        XCTAssertTrue(answer.contains("NetStream.Publish.BadName"), answer)
        // Strings that are not names are accepted, and logged escaped.
        let ok = try RTMPRawSession.run(port: srs.rtmpPort, app: "live", stream: "honest", pageUrl: "http://p/\r\n" + forged)
        XCTAssertTrue(ok.contains("NetStream.Publish.Start"), ok)
        // Raw control bytes in an HTTP request line and header: a 400, and nothing raw in the log.
        for raw in ["GET /x\u{1B}[31m HTTP/1.1\r\nHost: a\r\n\r\n", "GET /x HTTP/1.1\r\nHost: a\r\nX-A: b\u{7}\u{1B}c\r\n\r\n",
                    "GET\u{0}/x HTTP/1.1\r\nHost: a\r\n\r\n", "GET /x HTTP/1.1\nHost: a\r\n" + forged + "\r\n\r\n"] {
            let r = try HTTPClient.request(port: srs.httpPort, path: "/x", rawRequest: raw)
            XCTAssertEqual(r.status, 400, raw.debugDescription)
        }
        try waitClosed(srs, 2, after: base)
        let log = srs.log
        for line in log.split(separator: "\n") {
            XCTAssertFalse(line.hasPrefix("inject"), "forged line: \(line)")
            XCTAssertFalse(line.hasPrefix("[2020-02-19"), "forged line: \(line)")
            XCTAssertNil(line.unicodeScalars.first { $0.value < 0x20 || $0.value == 0x7F }, "raw control character in \(line.debugDescription)")
        }
        XCTAssertTrue(log.contains("log\\ninject [Error] fake"), log)
        XCTAssertTrue(log.contains("http://p/\\r\\n[2020-02-19"), log)
    }
}
