import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `transcode` and `exec`: children of the worker that holds the publisher, started with the
/// publish and stopped when it ends; transcoded outputs are not transcoded again; a worker's
/// children die with it.
final class TranscodeTests: XCTestCase {
    static func config(vhost: String) -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        worker_processes 2;
        http_api { enabled on; listen {API}; }
        vhost __defaultVhost__ {
        \(vhost)
        }
        """
    }

    static let transcode = """
        transcode live {
            enabled on;
            ffmpeg {FFMPEG};
            engine sd {
                enabled on;
                vcodec libx264; vbitrate 100; vfps 10; vwidth 160; vheight 120; vthreads 1;
                vprofile baseline; vpreset ultrafast;
                acodec aac; abitrate 32; asample_rate 44100; achannels 1;
                output rtmp://127.0.0.1:[port]/[app]?vhost=[vhost]/[stream]_[engine];
            }
        }
        """

    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg not installed")
    }

    func testTranscodeMakesASmallerRenditionOnceAndStopsWithThePublish() throws {
        let srs = try ChildProcessSupport.server(Self.config(vhost: Self.transcode))
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/tc?k=v", seconds: 60, size: "320x240")
        defer { pub.stop() }
        let ffmpeg = try ChildProcessSupport.waitFFmpegs(srs, count: 1)[0]
        let spawned = Date()
        // A child of the worker holding the publisher.
        let owner = try XCTUnwrap(Processes.parent(of: ffmpeg))
        XCTAssertEqual(Processes.parent(of: owner), srs.pid)
        XCTAssertTrue(Processes.title(of: owner).contains("worker"))
        try srs.waitForLog("start publish stream __defaultVhost__/live/tc_sd", timeout: 20)
        print("transcode: output published \(Int(Date().timeIntervalSince(spawned) * 1000)) ms after its ffmpeg started")
        let probe = try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/tc_sd")
        let video = (probe["streams"] as? [[String: Any]])?.first { $0["codec_type"] as? String == "video" }
        XCTAssertEqual(video?["width"] as? Int, 160)
        XCTAssertEqual(video?["height"] as? Int, 120)
        XCTAssertEqual(FFmpeg.codecs(probe), ["h264", "aac"])
        // The output is not transcoded again (SRS's loop guard), whichever worker it landed on.
        try srs.waitForLog("__defaultVhost__/live/tc_sd is a transcode's output, not transcoded again", timeout: 5)
        XCTAssertEqual(ChildProcessSupport.ffmpegs(of: srs), [ffmpeg])
        let log = srs.dir.appendingPathComponent("objs/ffmpeg-encoder-__defaultVhost__-live-tc-sd.log").path
        XCTAssertTrue(FileManager.default.fileExists(atPath: log))
        // The stream's API entry shows it.
        let streams = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/streams/")["streams"] as? [[String: Any]] ?? []
        let tc = (streams.first { $0["name"] as? String == "tc" }?["transcode"] as? [[String: Any]])?.first
        XCTAssertEqual(tc?["engine"] as? String, "sd")
        XCTAssertEqual(tc?["pid"] as? Int, Int(ffmpeg))
        XCTAssertEqual(tc?["output"] as? String, "rtmp://127.0.0.1:\(srs.rtmpPort)/live?vhost=__defaultVhost__/tc_sd")
        let api = try ChildProcessSupport.processesAPI(srs)
        XCTAssertEqual(api.map { $0["kind"] as? String }, ["transcode"])
        XCTAssertEqual(api.first?["worker"] as? Int, Int(owner))
        // The publish ends: so does the transcode.
        pub.stop()
        try ChildProcessSupport.waitFFmpegs(srs, count: 0, timeout: 5)
        XCTAssertTrue(srs.log.contains("engine=sd: stop pid=\(ffmpeg) (unpublish)"), srs.log)
    }

    func testExecRunsWhilePublishedWithSRSVariables() throws {
        let script = """
            #!/bin/sh
            # Records its arguments, then waits to be stopped.
            for a in "$@"; do echo "$a"; done > {DIR}/exec-args.txt
            echo started
            exec sleep 60
            """
        let vhost = "exec { enabled on; publish {DIR}/record.sh [vhost] [port] [app] [stream] [tcUrl] [url] 'a b'; }"
        let srs = try ChildProcessSupport.server(Self.config(vhost: vhost), files: ["record.sh": script])
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/ex?k=v", seconds: 60, size: "160x120")
        defer { pub.stop() }
        let args = srs.dir.appendingPathComponent("exec-args.txt").path
        func lines() -> [String] {
            ((try? String(contentsOfFile: args, encoding: .utf8)) ?? "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        }
        // The script writes its arguments one line at a time: wait for all of them.
        XCTAssertTrue(Deadline.wait(timeout: 15) { lines().count >= 8 }, srs.log)
        let lines = lines()
        XCTAssertEqual(lines, ["__defaultVhost__", "\(srs.rtmpPort)", "live", "ex", "rtmp://127.0.0.1:\(srs.rtmpPort)/live",
                               "rtmp://127.0.0.1:\(srs.rtmpPort)/live/ex?k=v", "a b", ""])
        let execLog = srs.dir.appendingPathComponent("objs/exec-__defaultVhost__-live-ex.log").path
        XCTAssertTrue(Deadline.wait(timeout: 5) { ((try? String(contentsOfFile: execLog, encoding: .utf8)) ?? "").contains("started") })
        let sleeper = ChildProcessSupport.processes(containing: "sleep 60").filter { Processes.parent(of: $0).map { Processes.parent(of: $0) == srs.pid } ?? false }
        XCTAssertEqual(sleeper.count, 1)
        pub.stop()
        XCTAssertTrue(Deadline.wait(timeout: 5) { sleeper.allSatisfy { !Processes.isAlive($0) } }, srs.log)
    }

    func testAKilledWorkerTakesItsChildrenWithIt() throws {
        let srs = try ChildProcessSupport.server(Self.config(vhost: Self.transcode))
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/kw", seconds: 60, size: "160x120")
        defer { pub.stop() }
        let ffmpeg = try ChildProcessSupport.waitFFmpegs(srs, count: 1)[0]
        let worker = try XCTUnwrap(Processes.parent(of: ffmpeg))
        let killed = Date()
        kill(worker, SIGKILL)
        XCTAssertTrue(Deadline.wait(timeout: 2, every: 0.005) { ChildProcessSupport.isDead(ffmpeg) }, "transcode outlived its worker")
        print("transcode: ffmpeg gone \(Int(Date().timeIntervalSince(killed) * 1000)) ms after kill -9 of its worker")
    }
}
