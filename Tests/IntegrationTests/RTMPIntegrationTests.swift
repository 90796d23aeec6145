import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Starts the real `srs` and drives it with ffmpeg/ffprobe over RTMP on loopback.
final class RTMPIntegrationTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg/ffprobe not installed")
    }

    /// Publish H.264+AAC with ffmpeg, play with ffprobe: both codecs seen, metadata carries server_version.
    func testPublishAndPlayWithFFmpeg() throws {
        let srs = try SRSProcess(config: SRSProcess.basicConfig)
        defer { srs.stop() }
        try srs.waitListening()
        let url = "rtmp://127.0.0.1:\(srs.rtmpPort)/live/livestream"
        let pub = try FFmpeg.publish(to: url, seconds: 20)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)

        let probe = try FFmpeg.probe(url)
        XCTAssertEqual(FFmpeg.codecs(probe), ["h264", "aac"], "\(probe)")
        let tags = (probe["format"] as? [String: Any])?["tags"] as? [String: Any] ?? [:]
        XCTAssertEqual(tags["server_version"] as? String, "1.0.0", "\(tags)")
        XCTAssertEqual(tags["server"] as? String, "SwiftSRS/1.0.0")
        XCTAssertNil(tags["duration"])
    }

    /// A late player decodes frames at once thanks to the GOP cache; decoded frames are real.
    func testLatePlayerDecodesVideoAndAudio() throws {
        let srs = try SRSProcess(config: SRSProcess.basicConfig)
        defer { srs.stop() }
        try srs.waitListening()
        let url = "rtmp://127.0.0.1:\(srs.rtmpPort)/live/late"
        let pub = try FFmpeg.publish(to: url, seconds: 20, gop: 50)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        // The player comes late, past the first GOP (2 s): that is the point.
        usleep(2_500_000)
        // Decode 2 seconds of video and audio to null: fails if frames are undecodable.
        let (status, out) = try Tool.run("ffmpeg", ["-hide_banner", "-v", "error", "-rw_timeout", "8000000", "-i", url,
                                                    "-t", "2", "-f", "null", "-"], timeout: 20)
        XCTAssertEqual(status, 0, out)
        XCTAssertFalse(out.contains("error"), out)
    }

    /// A second publisher of a busy stream is refused; the first keeps publishing.
    func testSecondPublisherRefused() throws {
        let srs = try SRSProcess(config: SRSProcess.basicConfig)
        defer { srs.stop() }
        try srs.waitListening()
        let url = "rtmp://127.0.0.1:\(srs.rtmpPort)/live/busy"
        let first = try FFmpeg.publish(to: url, seconds: 20)
        defer { first.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        let second = try FFmpeg.publish(to: url, seconds: 5)
        let status = second.wait(timeout: 15)
        XCTAssertNotEqual(status, 0, "second publisher should fail")
        XCTAssertTrue(srs.log.contains("is busy"), srs.log)
        XCTAssertTrue(first.isRunning)
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe(url)), ["h264", "aac"])
    }

    /// A player of a missing stream waits, and gets media once a publisher appears.
    func testPlayerWaitsForPublisher() throws {
        let srs = try SRSProcess(config: SRSProcess.basicConfig)
        defer { srs.stop() }
        try srs.waitListening()
        let url = "rtmp://127.0.0.1:\(srs.rtmpPort)/live/later"
        let probe = try Tool("ffprobe", ["-v", "error", "-rw_timeout", "15000000", "-show_entries", "stream=codec_name",
                                         "-of", "csv=p=0", url])
        defer { probe.stop() }
        try srs.waitForLog("start play stream", timeout: 10)
        XCTAssertTrue(probe.isRunning)
        let pub = try FFmpeg.publish(to: url, seconds: 20)
        defer { pub.stop() }
        XCTAssertEqual(probe.wait(timeout: 20), 0, probe.output)
        XCTAssertTrue(probe.output.contains("h264"), probe.output)
    }

    /// Garbage bytes and half-open connections do not harm a live stream or the server.
    func testGarbageAndHalfOpenConnectionsDoNotHarmLiveStream() throws {
        let srs = try SRSProcess(config: SRSProcess.basicConfig)
        defer { srs.stop() }
        try srs.waitListening()
        let url = "rtmp://127.0.0.1:\(srs.rtmpPort)/live/robust"
        let pub = try FFmpeg.publish(to: url, seconds: 25)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)

        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for i in 0..<30 {
            let fd = try RawClient.connect(port: srs.rtmpPort)
            switch i % 3 {
            case 0: RawClient.send(fd, (0..<4000).map { _ in UInt8.random(in: 0...255) }); close(fd)
            case 1: RawClient.send(fd, [3] + [UInt8](repeating: 0, count: 700)); idle.append(fd) // half a handshake
            default: idle.append(fd) // connects and says nothing
            }
        }
        // A valid handshake followed by a malformed chunk stream.
        let fd = try RawClient.connect(port: srs.rtmpPort)
        RawClient.send(fd, [3] + [UInt8](repeating: 1, count: 1536))
        _ = RawClient.receive(fd, count: 3073, timeout: 5)
        RawClient.send(fd, [UInt8](repeating: 0, count: 1536) + [0xC3, 0xFF, 0xFF, 0xFF])
        close(fd)

        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe(url)), ["h264", "aac"])
        XCTAssertTrue(pub.isRunning, "publisher must survive")
        XCTAssertTrue(srs.process.isRunning)
    }

    /// A player that stops reading is bounded: the server keeps serving others and its memory stays bounded.
    func testStalledPlayerIsBounded() throws {
        let srs = try SRSProcess(config: SRSProcess.basicConfig.replacingOccurrences(
            of: "vhost __defaultVhost__ {", with: "vhost __defaultVhost__ {\n play { queue_length 2; }"))
        defer { srs.stop() }
        try srs.waitListening()
        let url = "rtmp://127.0.0.1:\(srs.rtmpPort)/live/stall"
        // Constant 4 Mbps (x264 fills with padding), so the kernel's socket buffers (up to 4 MiB
        // on loopback) fill within seconds and the server's own bounded queue must take over.
        let pub = try FFmpeg.publish(to: url, seconds: 40, size: "640x360",
                                     extra: ["-b:v", "4M", "-minrate", "4M", "-maxrate", "4M", "-bufsize", "1M",
                                             "-x264-params", "nal-hrd=cbr:filler=1"])
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        // Play with a client that completes the handshake + play and then never reads.
        let fd = try RawClient.playAndStall(port: srs.rtmpPort, app: "live", stream: "stall")
        defer { close(fd) }
        try srs.waitForLog("player too slow", timeout: 30)
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe(url)), ["h264", "aac"])
        let rssKB = Memory.rssKB(pid: srs.pid)
        XCTAssertLessThan(rssKB, 200_000, "rss \(rssKB) KB")
    }

}

enum Memory {
    static func rssKB(pid: Int32) -> Int {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
