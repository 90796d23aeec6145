import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// `ingest`: one ffmpeg per server (not per worker), supervised by the master: it plays, a
/// killed one comes back after its backoff, a reload that removes it stops it, a hot upgrade
/// keeps the same process, and killing the master leaves no ffmpeg behind.
final class IngestTests: XCTestCase {
    static func config(ingest: Bool = true, seconds: Int = 60) -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        worker_processes 2;
        http_api { enabled on; listen {API}; }
        vhost __defaultVhost__ {
        \(ingest ? """
            ingest cam {
                enabled on;
                input { type file; url ./in.flv; }
                ffmpeg {FFMPEG};
                engine { enabled off; output rtmp://127.0.0.1:[port]/live?vhost=[vhost]/cam; }
            }
        """ : "")
        }
        """
    }

    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg not installed")
    }

    func testIngestedFilePlaysAndRunsOncePerServer() throws {
        let srs = try ChildProcessSupport.server(Self.config(), input: 60)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let ffmpegs = try ChildProcessSupport.waitFFmpegs(srs, count: 1)
        // The master's child, not a worker's.
        XCTAssertEqual(Processes.parent(of: ffmpegs[0]), srs.pid)
        try srs.waitForLog("start publish stream __defaultVhost__/live/cam", timeout: 15)
        let probe = try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/cam")
        XCTAssertEqual(FFmpeg.codecs(probe), ["h264", "aac"])
        XCTAssertTrue(srs.log.contains("ingest __defaultVhost__/cam: started pid=\(ffmpegs[0])"), srs.log)
        XCTAssertTrue(srs.log.contains("-loglevel info -re -i ./in.flv -vcodec copy -acodec copy -f flv -y rtmp://127.0.0.1:\(srs.rtmpPort)/live/cam"))
        let log = srs.dir.appendingPathComponent("objs/ffmpeg-ingest-__defaultVhost__-live-cam.log").path
        XCTAssertTrue(Deadline.wait(timeout: 5) { ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("Stream mapping") })
        let api = try ChildProcessSupport.processesAPI(srs)
        XCTAssertEqual(api.count, 1)
        XCTAssertEqual(api.first?["kind"] as? String, "ingest")
        XCTAssertEqual(api.first?["owner"] as? String, "master")
        XCTAssertEqual(api.first?["pid"] as? Int, Int(ffmpegs[0]))
        XCTAssertEqual(api.first?["state"] as? String, "running")
    }

    func testKilledFFmpegIsRestartedWithBackoff() throws {
        let srs = try ChildProcessSupport.server(Self.config(), input: 60)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        var pid = try ChildProcessSupport.waitFFmpegs(srs, count: 1)[0]
        var latencies: [Int] = []
        for round in 1...3 {
            usleep(300_000)  // a short run (under the backoff's bar) before each kill: the point
            let killed = Date()
            kill(pid, SIGKILL)
            var next: [Int32] = []
            XCTAssertTrue(Deadline.wait(timeout: 10, every: 0.01) {
                next = ChildProcessSupport.ffmpegs(of: srs)
                return next.count == 1 && next[0] != pid
            }, srs.log)
            latencies.append(Int(Date().timeIntervalSince(killed) * 1000))
            XCTAssertTrue(srs.log.contains("pid=\(pid) killed by signal 9"), srs.log)
            pid = next.first ?? pid
            _ = round
        }
        print("ingest: restarted \(latencies) ms after kill -9")
        // Short runs in a row wait longer each time: 500, 1000, 2000 ms.
        XCTAssertTrue(srs.log.contains("restart in 500ms"), srs.log)
        XCTAssertTrue(srs.log.contains("restart in 1000ms, backoff: 2 short runs in a row"), srs.log)
        XCTAssertTrue(srs.log.contains("restart in 2000ms, backoff: 3 short runs in a row"), srs.log)
        XCTAssertGreaterThanOrEqual(latencies[2], 1900)
        // The new ffmpeg publishes again.
        try srs.waitForLog("start publish stream __defaultVhost__/live/cam", timeout: 15)
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(srs.rtmpPort)/live/cam")), ["h264", "aac"])
    }

    func testReloadRemovingTheIngestStopsIt() throws {
        let srs = try ChildProcessSupport.server(Self.config(), input: 60)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pid = try ChildProcessSupport.waitFFmpegs(srs, count: 1)[0]
        try ChildProcessSupport.rewrite(srs, Self.config(ingest: false))
        srs.signal(SIGHUP)
        try ChildProcessSupport.waitFFmpegs(srs, count: 0, timeout: 5)
        // Gone from the process list as soon as it exits; reaped by the master a moment later.
        XCTAssertTrue(Deadline.wait(timeout: 2) { !Processes.isAlive(pid) })
        XCTAssertTrue(srs.log.contains("vhost __defaultVhost__ reload ingest=cam removed success."), srs.log)
        XCTAssertTrue(srs.log.contains("ingest __defaultVhost__/cam: stop pid=\(pid)"), srs.log)
        try srs.waitForLog("ingest __defaultVhost__/cam: pid=\(pid) stopped", timeout: 2)
        // And back: a reload adding it starts one.
        try ChildProcessSupport.rewrite(srs, Self.config())
        srs.signal(SIGHUP)
        try ChildProcessSupport.waitFFmpegs(srs, count: 1)
        XCTAssertTrue(srs.log.contains("vhost __defaultVhost__ reload ingest=cam added success."), srs.log)
        XCTAssertEqual(try ChildProcessSupport.processesAPI(srs).count, 1)
    }

    func testHotUpgradeKeepsTheOneIngestRunning() throws {
        let (binDir, binary) = try ChildProcessSupport.privateBinary()
        defer { try? FileManager.default.removeItem(at: binDir) }
        let srs = try ChildProcessSupport.server(Self.config(), input: 60, binary: binary)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pid = try ChildProcessSupport.waitFFmpegs(srs, count: 1)[0]
        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.1")
        srs.signal(SIGUSR2)
        try srs.waitForLog("re-executed as SwiftSRS/1.0.1", timeout: 15)
        XCTAssertTrue(srs.log.contains("ingest __defaultVhost__/cam: adopted pid=\(pid) after re-exec"), srs.log)
        // The same process, alone, for a while after the upgrade.
        for _ in 0..<10 {
            XCTAssertEqual(ChildProcessSupport.ffmpegs(of: srs), [pid])
            usleep(200_000)  // nothing may change meanwhile: a fixed time is the point
        }
        let api = try ChildProcessSupport.processesAPI(srs)
        XCTAssertEqual(api.count, 1)
        XCTAssertEqual(api.first?["pid"] as? Int, Int(pid))
        // The new image supervises it: killed, it comes back.
        kill(pid, SIGKILL)
        XCTAssertTrue(Deadline.wait(timeout: 10) {
            let now = ChildProcessSupport.ffmpegs(of: srs)
            return now.count == 1 && now[0] != pid
        }, srs.log)
        XCTAssertEqual(Processes.parent(of: ChildProcessSupport.ffmpegs(of: srs).first ?? 0), srs.pid)
    }

    func testKillingTheMasterLeavesNoFFmpeg() throws {
        let srs = try ChildProcessSupport.server(Self.config(), input: 60)
        defer { ChildProcessSupport.stopAndCheckNoOrphans(srs) }
        try srs.waitListening()
        let pid = try ChildProcessSupport.waitFFmpegs(srs, count: 1)[0]
        try srs.waitForLog("start publish stream __defaultVhost__/live/cam", timeout: 15)
        let workers = Processes.children(of: srs.pid).filter { Processes.title(of: $0).contains("worker") }
        XCTAssertEqual(workers.count, 2)
        let killed = Date()
        srs.signal(SIGKILL)
        // The kernel kills the ingest with its master (PR_SET_PDEATHSIG) ...
        XCTAssertTrue(Deadline.wait(timeout: 2, every: 0.005) { ChildProcessSupport.isDead(pid) })
        print("ingest: ffmpeg gone \(Int(Date().timeIntervalSince(killed) * 1000)) ms after kill -9 of the master")
        // ... and the workers, whose lifeline (the master's channel) broke, drain and exit.
        XCTAssertTrue(Deadline.wait(timeout: 15) { workers.allSatisfy { !Processes.isAlive($0) } })
        XCTAssertEqual(ChildProcessSupport.ffmpegs(of: srs), [])
    }
}
