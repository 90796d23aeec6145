import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// DVR against the real `srs`: ffmpeg publishes, ffprobe and ffmpeg read what was recorded
/// (issue 16). Each file must hold H.264 + AAC, decode without an error, and last what was
/// published (within 1 s).
final class DVRIntegrationTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg/ffprobe not installed")
    }

    static func config(dvr: String, top: String = "", vhostExtra: String = "") -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        grace_start_wait 0;
        grace_final_wait 0;
        \(top)
        http_server { enabled on; listen {HTTP}; dir ./html; }
        vhost __defaultVhost__ {
            dvr { \(dvr) }
            \(vhostExtra)
        }
        """
    }

    /// Every regular file under `dir`, relative paths, sorted.
    static func files(_ dir: URL) -> [String] {
        guard let e = FileManager.default.enumerator(atPath: dir.path) else { return [] }
        var out: [String] = []
        for case let rel as String in e {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent(rel).path, isDirectory: &isDir), !isDir.boolValue {
                out.append(rel)
            }
        }
        return out.sorted()
    }

    /// (codec names, duration in seconds) of a file, and whether ffmpeg decodes it without an error.
    static func inspect(_ path: String) throws -> (codecs: [String], duration: Double, clean: Bool) {
        let (status, out) = try Tool.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name:format=duration",
                                                     "-of", "json", path], timeout: 15)
        guard status == 0, let json = try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any] else {
            throw TestError("ffprobe \(path): \(out)")
        }
        let codecs = (json["streams"] as? [[String: Any]] ?? []).compactMap { $0["codec_name"] as? String }
        let duration = Double((json["format"] as? [String: Any])?["duration"] as? String ?? "") ?? -1
        let (dstatus, errors) = try Tool.run("ffmpeg", ["-v", "error", "-i", path, "-f", "null", "-"], timeout: 30)
        return (codecs, duration, dstatus == 0 && errors.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
    }

    /// Publishes `seconds` of H.264 + AAC to `live/<stream>` and waits for ffmpeg to end.
    static func publish(_ srs: SRSProcess, _ stream: String, seconds: Int, gop: Int = 25) throws {
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/\(stream)", seconds: seconds, gop: gop)
        defer { pub.stop() }
        XCTAssertEqual(pub.wait(timeout: TimeInterval(seconds + 15)), 0, pub.output)
    }

    private func checkOneFile(ext: String) throws {
        let srs = try SRSProcess(config: Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].[timestamp].\(ext);"))
        defer { srs.stop() }
        try srs.waitListening()
        try Self.publish(srs, "rec", seconds: 5)
        try srs.waitForLog("dvr: __defaultVhost__/live/rec closed", timeout: 10)
        let files = Self.files(srs.dir.appendingPathComponent("html/dvr"))
        XCTAssertEqual(files.count, 1, "\(files)")
        let name = try XCTUnwrap(files.first)
        XCTAssertTrue(name.hasPrefix("live/rec.") && name.hasSuffix(".\(ext)"), name)
        let (codecs, duration, clean) = try Self.inspect(srs.dir.appendingPathComponent("html/dvr/" + name).path)
        XCTAssertEqual(codecs.sorted(), ["aac", "h264"])
        XCTAssertEqual(duration, 5, accuracy: 1, "published 5 s")
        XCTAssertTrue(clean, "ffmpeg reports decode errors in \(name)")
        print("DVR \(ext): \(name) duration=\(duration)s")
    }

    func testSessionPlanRecordsFLV() throws { try checkOneFile(ext: "flv") }

    func testSessionPlanRecordsMP4() throws { try checkOneFile(ext: "mp4") }

    /// dvr_plan segment with dvr_duration 2: a 7 s publish with a keyframe every second gives
    /// files of about 2 s, each playable and starting at a keyframe.
    func testSegmentPlanCutsFiles() throws {
        let srs = try SRSProcess(config: Self.config(dvr: """
            enabled on; dvr_plan segment; dvr_duration 2; dvr_wait_keyframe on;
            dvr_path ./html/dvr/[app]/[stream].[timestamp].flv;
            """))
        defer { srs.stop() }
        try srs.waitListening()
        try Self.publish(srs, "seg", seconds: 7)
        try srs.waitForLog("unpublish stream", timeout: 10)
        let dir = srs.dir.appendingPathComponent("html/dvr")
        XCTAssertTrue(Deadline.wait(timeout: 5) { !Self.files(dir).contains { $0.hasSuffix(".tmp") } })
        let files = Self.files(dir)
        XCTAssertGreaterThanOrEqual(files.count, 3, "\(files)")
        var total = 0.0
        for f in files {
            let (codecs, duration, clean) = try Self.inspect(dir.appendingPathComponent(f).path)
            XCTAssertEqual(codecs.sorted(), ["aac", "h264"], f)
            XCTAssertTrue(clean, f)
            XCTAssertLessThanOrEqual(duration, 3.5, f)
            total += duration
            print("DVR segment \(f) duration=\(duration)s")
        }
        XCTAssertEqual(total, 7, accuracy: 1.5, "the segments add up to what was published")
    }

    /// SIGQUIT while a publisher streams: the quit (bounded by grace_max_wait) finishes the file,
    /// renamed from its temporary name, with what was recorded.
    func testGracefulQuitFinishesTheFile() throws {
        let srs = try SRSProcess(config: Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].mp4;", top: "grace_max_wait 1000;"))
        defer { srs.stop() }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/quit", seconds: 30)
        defer { pub.stop() }
        try srs.waitForLog("dvr: __defaultVhost__/live/quit recording to", timeout: 10)
        let started = Date()
        Thread.sleep(forTimeInterval: 4)
        srs.signal(SIGQUIT)
        XCTAssertNotNil(srs.waitExit(timeout: 10), "srs did not quit")
        let elapsed = Date().timeIntervalSince(started)
        let files = Self.files(srs.dir.appendingPathComponent("html/dvr"))
        XCTAssertEqual(files, ["live/quit.mp4"], srs.log)
        let (codecs, duration, clean) = try Self.inspect(srs.dir.appendingPathComponent("html/dvr/live/quit.mp4").path)
        XCTAssertEqual(codecs.sorted(), ["aac", "h264"])
        XCTAssertTrue(clean)
        XCTAssertEqual(duration, elapsed, accuracy: 1.5, "recorded until the quit")
        print("DVR quit: duration=\(duration)s, published until the quit \(elapsed)s")
    }

    /// A reload that turns DVR off finishes the file while the publisher goes on.
    func testReloadDisablingDVRFinishesTheFile() throws {
        let on = Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].flv;")
        let srs = try SRSProcess(config: on)
        defer { srs.stop() }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/reload", seconds: 30)
        defer { pub.stop() }
        try srs.waitForLog("dvr: __defaultVhost__/live/reload recording to", timeout: 10)
        Thread.sleep(forTimeInterval: 3)
        try srs.rewriteConfig(Self.config(dvr: "enabled off; dvr_path ./html/dvr/[app]/[stream].flv;"))
        srs.signal(SIGHUP)
        try srs.waitForLog("dvr: __defaultVhost__/live/reload closed", timeout: 5)
        XCTAssertTrue(pub.isRunning, "the publisher goes on")
        XCTAssertEqual(Self.files(srs.dir.appendingPathComponent("html/dvr")), ["live/reload.flv"])
        let (codecs, duration, clean) = try Self.inspect(srs.dir.appendingPathComponent("html/dvr/live/reload.flv").path)
        XCTAssertEqual(codecs.sorted(), ["aac", "h264"])
        XCTAssertTrue(clean)
        XCTAssertEqual(duration, 3, accuracy: 1.5)
        // Turned on again: a new file (the old one is never appended to).
        try srs.rewriteConfig(Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].[timestamp].flv;"))
        srs.signal(SIGHUP)
        try srs.waitForLog("dvr: __defaultVhost__/live/reload recording to", count: 2, timeout: 5)
    }

    /// With 2 workers and players on both, the stream is recorded once (by the worker holding
    /// the publisher; the other one only relays it).
    func testTwoWorkersRecordOnce() throws {
        let srs = try SRSProcess(config: Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].[timestamp].flv;",
                                                     top: "worker_processes 2;",
                                                     vhostExtra: "http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }"))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/once", seconds: 6)
        defer { pub.stop() }
        try srs.waitForLog("dvr: __defaultVhost__/live/once recording to", timeout: 10)
        // Several players: with 2 workers accepting, some land on the worker without the publisher.
        for _ in 0..<4 {
            XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("http://127.0.0.1:\(srs.httpPort)/live/once.flv")), ["h264", "aac"])
        }
        XCTAssertEqual(pub.wait(timeout: 20), 0)
        try srs.waitForLog("dvr: __defaultVhost__/live/once closed", timeout: 10)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(Self.files(srs.dir.appendingPathComponent("html/dvr")).count, 1, srs.log)
        XCTAssertEqual(srs.log.components(separatedBy: "recording to").count - 1, 1, srs.log)
    }

    /// on_dvr after the file is renamed, with its final path, before on_unpublish.
    func testOnDvrHookGetsTheFinalPath() throws {
        try XCTSkipUnless(Tool.available("python3"), "python3 not installed")
        let hooks = try HookServer()
        defer { hooks.stop() }
        let srs = try SRSProcess(config: Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].[duration].flv;", vhostExtra: """
            http_hooks { enabled on; on_unpublish \(hooks.url("/api/v1/streams")); on_dvr \(hooks.url("/api/v1/dvrs")); }
            """))
        defer { srs.stop() }
        try srs.waitListening()
        try Self.publish(srs, "hooked", seconds: 3)
        XCTAssertTrue(hooks.wait { $0.contains { $0.action == "on_unpublish" } }, srs.log)
        let actions = hooks.requests.map(\.action)
        XCTAssertEqual(actions, ["on_dvr", "on_unpublish"])
        let dvr = try XCTUnwrap(hooks.requests.first { $0.action == "on_dvr" })
        let file = try XCTUnwrap(dvr.fields["file"] as? String)
        XCTAssertTrue(file.hasPrefix("./html/dvr/live/hooked.") && file.hasSuffix(".flv") && !file.contains("[duration]"), file)
        XCTAssertTrue(FileManager.default.fileExists(atPath: srs.dir.appendingPathComponent(file).path), "\(file) exists when on_dvr comes")
        XCTAssertEqual(dvr.fields["stream"] as? String, "hooked")
        XCTAssertEqual(dvr.fields["app"] as? String, "live")
        XCTAssertNotNil(dvr.fields["cwd"] as? String)
    }

    /// Names cannot take a recording out of dvr_path's directory: `..` components are refused
    /// at publish, and whatever a stream is named, every file stays under the directory.
    func testHostileNamesCannotEscapeDvrPath() throws {
        let srs = try SRSProcess(config: Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].flv;"))
        defer { srs.stop() }
        try srs.waitListening()
        for stream in ["x/../../../escape", "../escape", "a/../../escape"] {
            let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/\(stream)", seconds: 2)
            defer { pub.stop() }
            XCTAssertNotEqual(pub.wait(timeout: 15), 0, "publish of \(stream) must be refused")
        }
        // Brackets and sub-directories are names like any other: recorded inside the directory, as written.
        try Self.publish(srs, "[2006]/[app]", seconds: 2)
        try srs.waitForLog("closed ./html/dvr/live/[2006]/[app].flv", timeout: 10)
        let all = Self.files(srs.dir)
        XCTAssertEqual(all.filter { $0.hasSuffix(".flv") || $0.hasSuffix(".tmp") }, ["html/dvr/live/[2006]/[app].flv"], "\(all)")
        XCTAssertTrue(srs.process.isRunning)
    }

    /// Hot upgrade while a stream is recorded: the old worker keeps the publisher, records to the
    /// end of the publish and finishes the file; the stream is in one file, recorded once.
    func testHotUpgradeFinishesTheFileOnTheOldWorker() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("srs-bin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let binary = dir.appendingPathComponent("srs").path
        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.0")
        let srs = try SRSProcess(config: Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].[timestamp].flv;",
                                                     top: "worker_processes 2;"), binary: binary)
        defer { srs.stop() }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/up", seconds: 8)
        defer { pub.stop() }
        try srs.waitForLog("dvr: __defaultVhost__/live/up recording to", timeout: 10)
        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.1")
        srs.signal(SIGUSR2)
        try srs.waitForLog("re-executed as SwiftSRS/1.0.1", timeout: 15)
        XCTAssertEqual(pub.wait(timeout: 20), 0, pub.output)
        try srs.waitForLog("dvr: __defaultVhost__/live/up closed", timeout: 10)
        let files = Self.files(srs.dir.appendingPathComponent("html/dvr"))
        XCTAssertEqual(files.count, 1, "\(files)")
        let (codecs, duration, clean) = try Self.inspect(srs.dir.appendingPathComponent("html/dvr/" + (files.first ?? "")).path)
        XCTAssertEqual(codecs.sorted(), ["aac", "h264"])
        XCTAssertTrue(clean)
        XCTAssertEqual(duration, 8, accuracy: 1, "the whole publish, across the upgrade")
        print("DVR across a hot upgrade: duration=\(duration)s of 8 s published")
    }

    /// SIGTERM (fast quit) while a publisher streams: the workers finish their files before
    /// they exit, renamed from the temporary names.
    func testFastQuitFinishesTheFile() throws {
        let srs = try SRSProcess(config: Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].flv;"))
        defer { srs.stop() }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/term", seconds: 30)
        defer { pub.stop() }
        try srs.waitForLog("dvr: __defaultVhost__/live/term recording to", timeout: 10)
        Thread.sleep(forTimeInterval: 3)
        srs.signal(SIGTERM)
        XCTAssertNotNil(srs.waitExit(timeout: 10), "srs did not quit")
        XCTAssertEqual(Self.files(srs.dir.appendingPathComponent("html/dvr")), ["live/term.flv"], srs.log)
        let (codecs, duration, clean) = try Self.inspect(srs.dir.appendingPathComponent("html/dvr/live/term.flv").path)
        XCTAssertEqual(codecs.sorted(), ["aac", "h264"])
        XCTAssertTrue(clean)
        XCTAssertEqual(duration, 3, accuracy: 1.5)
    }

    /// A recorded MP4, served by our HTTP server, plays in headless Chromium's <video>.
    func testRecordedMP4PlaysInChromium() throws {
        try XCTSkipUnless(HeadlessChromium.binary != nil, "chromium not installed")
        let srs = try SRSProcess(config: Self.config(dvr: "enabled on; dvr_path ./html/dvr/[app]/[stream].mp4;"))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        try Self.publish(srs, "web", seconds: 3)
        try srs.waitForLog("dvr: __defaultVhost__/live/web closed", timeout: 10)
        try #"<video id="v" src="live/web.mp4" muted playsinline></video>"#
            .write(to: srs.dir.appendingPathComponent("html/dvr/play.html"), atomically: true, encoding: .utf8)
        let browser = try HeadlessChromium()
        defer { browser.stop() }
        try browser.open("http://127.0.0.1:\(srs.httpPort)/dvr/play.html")
        let state = try browser.wait("document.getElementById('v').readyState >= 2 && document.getElementById('v').readyState",
                                     timeout: 15, "the <video> has data")
        XCTAssertGreaterThanOrEqual((state as? NSNumber)?.intValue ?? 0, 2)
        let duration = try browser.evaluate("document.getElementById('v').duration") as? Double ?? 0
        XCTAssertEqual(duration, 3, accuracy: 1)
        XCTAssertNil(try browser.evaluate("document.getElementById('v').error && document.getElementById('v').error.code") as? Int)
    }

    /// dvr_apply names the streams recorded: the others are not.
    func testDvrApplyRecordsOnlyTheListedStreams() throws {
        let srs = try SRSProcess(config: Self.config(dvr: "enabled on; dvr_apply live/yes; dvr_path ./html/dvr/[app]/[stream].flv;"))
        defer { srs.stop() }
        try srs.waitListening()
        let yes = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/yes", seconds: 2)
        defer { yes.stop() }
        let no = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/no", seconds: 2)
        defer { no.stop() }
        XCTAssertEqual(yes.wait(timeout: 15), 0)
        XCTAssertEqual(no.wait(timeout: 15), 0)
        try srs.waitForLog("unpublish stream", count: 2, timeout: 10)
        try srs.waitForLog("dvr: __defaultVhost__/live/yes closed", timeout: 5)
        XCTAssertEqual(Self.files(srs.dir.appendingPathComponent("html/dvr")), ["live/yes.flv"])
    }
}
