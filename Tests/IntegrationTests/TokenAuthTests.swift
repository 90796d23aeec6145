import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The token recipe of docs/hooks.md: tools/hooks/token_auth.py behind on_publish and on_play.
final class TokenAuthTests: XCTestCase {
    static let script = URL(fileURLWithPath: HookServer.script).deletingLastPathComponent().appendingPathComponent("token_auth.py").path

    func testPublishNeedsTheSecretOrTheStreamsTokenAndPlayTheStreamsToken() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe") && Tool.available("python3"), "ffmpeg/python3 missing")
        let tokens = FileManager.default.temporaryDirectory.appendingPathComponent("tokens-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: tokens) }
        try FileManager.default.createDirectory(at: tokens.appendingPathComponent("live"), withIntermediateDirectories: true)
        try "cam1-key\n".write(to: tokens.appendingPathComponent("live/cam1"), atomically: true, encoding: .utf8)
        try "viewer\n".write(to: tokens.appendingPathComponent("live/cam1.play"), atomically: true, encoding: .utf8)
        let port = FreePort.next()
        let auth = try Tool("/usr/bin/env", ["HOOK_SECRET=s3cret", "python3", Self.script, "--listen", "127.0.0.1:\(port)",
                                             "--tokens-dir", tokens.path, "--play", "token"])
        defer { auth.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 10) { TCPProbe.canConnect(port: port) }, auth.output)
        let srs = try SRSProcess(config: """
            listen {RTMP};
            daemon off;
            srs_log_tank console;
            pid ./objs/srs.pid;
            vhost __defaultVhost__ {
                http_hooks {
                    enabled     on;
                    on_publish  http://127.0.0.1:\(port)/api/v1/streams;
                    on_play     http://127.0.0.1:\(port)/api/v1/sessions;
                }
            }
            """)
        defer { srs.stop() }
        try srs.waitListening()
        let base = "rtmp://127.0.0.1:\(srs.rtmpPort)/live"

        for refused in ["\(base)/cam1", "\(base)/cam1?token=wrong", "\(base)/cam2?token=cam1-key"] {
            let p = try FFmpeg.publish(to: refused, seconds: 10)
            XCTAssertNotEqual(p.wait(timeout: 8), 0, refused)
            XCTAssertTrue(p.output.contains("bad or missing token"), p.output)
            p.stop()
        }
        let byKey = try FFmpeg.publish(to: "\(base)/cam1?token=cam1-key", seconds: 30)
        defer { byKey.stop() }
        let bySecret = try FFmpeg.publish(to: "\(base)/cam2?token=s3cret", seconds: 30)
        defer { bySecret.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 10) { srs.log.components(separatedBy: "start publish stream").count == 3 }, srs.log)

        XCTAssertThrowsError(try FFmpeg.probe("\(base)/cam1?token=cam1-key", timeout: 10), "the publish key is not the play token")
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("\(base)/cam1?token=viewer")), ["h264", "aac"])
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("\(base)/cam2?token=s3cret")), ["h264", "aac"])
        XCTAssertTrue(auth.output.contains("token_auth: refuse on_play live/cam1"), auth.output)
    }
}
