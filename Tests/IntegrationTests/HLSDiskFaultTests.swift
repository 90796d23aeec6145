import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The real `srs` with its HLS (or its log) on a 1 MiB tmpfs that fills up and frees again:
/// no partial files stay, players over RTMP and HTTP-FLV never notice, HLS comes back by itself.
final class HLSDiskFaultTests: XCTestCase {
    private var mount: TmpfsMount?
    private var srs: SRSProcess?
    private var tools: [Tool] = []
    private var players: [RTMPTestPlayer] = []

    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg/ffprobe not installed")
    }

    override func tearDown() {
        players.forEach { $0.stop() }
        tools.forEach { $0.stop() }
        srs?.stop()
        mount?.unmount()
    }

    private func start(_ config: String) throws -> SRSProcess {
        let s = try SRSProcess(config: config)
        srs = s
        try s.waitListening()
        try s.waitListening(s.apiPort)
        return s
    }

    private func config(hlsPath: String) -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_api { enabled on; listen {API}; }
        http_server { enabled on; listen {HTTP}; dir ./html; }
        vhost __defaultVhost__ {
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
            hls { enabled on; hls_fragment 1; hls_window 4; hls_path \(hlsPath); hls_dispose 30; }
        }
        """
    }

    private func playlist(_ path: String) -> (text: String, uris: [String]) {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return (text, text.split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init))
    }

    private func publish(_ srs: SRSProcess, _ stream: String, seconds: Int) throws -> Tool {
        let t = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/\(stream)", seconds: seconds, gop: 25)
        tools.append(t)
        return t
    }

    private func worker(_ srs: SRSProcess) throws -> Int32 {
        try XCTUnwrap(Processes.children(of: srs.pid).first, "no worker:\n\(srs.log)")
    }

    func testHLSRecoversAfterTheDiskWasFullAndPlayersNeverNotice() throws {
        let disk = try TmpfsMount(sizeKB: 1024)
        mount = disk
        let srs = try start(config(hlsPath: disk.path))
        let workerPid = try worker(srs)
        let m3u8 = disk.path + "/live/fault.m3u8"
        _ = try publish(srs, "fault", seconds: 40)
        XCTAssertTrue(Deadline.wait(timeout: 15) { self.playlist(m3u8).uris.count >= 2 }, "no HLS:\n\(srs.log)")
        let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "fault")
        players.append(player)
        XCTAssertTrue(Deadline.wait(timeout: 10) { player.keyframes > 0 }, "RTMP player got nothing: \(player.error ?? "")")

        // The disk fills up: segment writes fail while both players keep playing.
        disk.fill()
        player.resetGap()
        let framesBefore = player.videoFrames
        let flv = try Tool("ffmpeg", ["-v", "error", "-rw_timeout", "5000000", "-i", "http://127.0.0.1:\(srs.httpPort)/live/fault.flv",
                                      "-t", "4", "-f", "null", "-"])
        tools.append(flv)
        let failedLines = { srs.log.split(separator: "\n").filter { $0.contains("hls: write ") && $0.contains("failed") } }
        XCTAssertTrue(Deadline.wait(timeout: 10) { !failedLines().isEmpty }, "no failed write logged:\n\(srs.log)")
        XCTAssertEqual(flv.wait(timeout: 20), 0, "HTTP-FLV player during the fault: \(flv.output)")
        XCTAssertEqual(failedLines().count, 1, "one log line per episode, not per segment:\n\(srs.log)")
        XCTAssertTrue(failedLines().first?.contains("No space left on device (errno=28)") == true, "\(failedLines())")
        XCTAssertEqual(disk.files().filter { $0.hasSuffix(".tmp") }, [], "partial files left")
        let during = playlist(m3u8)
        for uri in during.uris {
            XCTAssertTrue(FileManager.default.fileExists(atPath: disk.path + "/live/" + uri), "\(uri) listed, not on disk")
        }
        XCTAssertGreaterThan(player.videoFrames - framesBefore, 75, "RTMP player starved during the fault")
        XCTAssertLessThan(player.maxGap, 1.5, "RTMP player stalled during the fault")
        XCTAssertNil(player.error)

        // Space comes back: new segments, readable, after a discontinuity.
        disk.free()
        try srs.waitForLog("writes again", timeout: 10)
        XCTAssertTrue(Deadline.wait(timeout: 10) { self.playlist(m3u8).uris.filter { !during.uris.contains($0) }.count >= 2 },
                      "playlist does not advance:\n\(playlist(m3u8).text)")
        let after = playlist(m3u8)
        XCTAssertTrue(after.text.contains("#EXT-X-DISCONTINUITY"), after.text)
        for uri in after.uris where !during.uris.contains(uri) {
            XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe(disk.path + "/live/" + uri)), ["h264", "aac"], uri)
        }
        let recovered = srs.log.split(separator: "\n").filter { $0.contains("writes again") }
        XCTAssertEqual(recovered.count, 1, "\(recovered)")
        XCTAssertTrue(recovered.first?.contains("missed segments=") == true, "\(recovered)")
        // The only temp file is the segment being written (it grows on disk under <name>.tmp).
        let temps = disk.files().filter { $0.hasSuffix(".tmp") }
        XCTAssertLessThanOrEqual(temps.count, 1, "partial files left: \(temps)")
        for t in temps { XCTAssertFalse(after.uris.contains(String(t.dropFirst("live/".count).dropLast(".tmp".count))), t) }

        // A stream published after the episode gets its HLS from the start.
        _ = try publish(srs, "later", seconds: 8)
        XCTAssertTrue(Deadline.wait(timeout: 15) { self.playlist(disk.path + "/live/later.m3u8").uris.count >= 2 },
                      "second stream has no HLS:\n\(srs.log)")
        let later = playlist(disk.path + "/live/later.m3u8")
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe(disk.path + "/live/" + later.uris[0])), ["h264", "aac"])

        XCTAssertNil(player.error)
        XCTAssertEqual(try worker(srs), workerPid, "the worker was respawned:\n\(srs.log)")
        XCTAssertFalse(srs.log.contains("respawn"), srs.log)
    }

    /// The log file on a full disk: lines are lost, the worker is not; it logs again once
    /// space is back.
    func testLogFileOnAFullDiskDoesNotBreakTheWorker() throws {
        let disk = try TmpfsMount(sizeKB: 256)
        mount = disk
        let log = disk.path + "/srs.log"
        let srs = try start("""
            listen {RTMP};
            daemon off;
            srs_log_tank file;
            srs_log_file \(log);
            pid ./objs/srs.pid;
            http_api { enabled on; listen {API}; }
            vhost __defaultVhost__ { }
            """)
        let workerPid = try worker(srs)
        disk.fill(topUp: [log])
        let fullSize = FileManager.default.sizeOfFile(log)
        _ = try publish(srs, "full", seconds: 20)
        let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "full")
        players.append(player)
        XCTAssertTrue(Deadline.wait(timeout: 15) { player.keyframes > 0 }, "RTMP play with a full log disk: \(player.error ?? "")")
        XCTAssertEqual(try HTTPClient.get(srs.apiPort, "/api/v1/versions").status, 200)
        XCTAssertEqual(FileManager.default.sizeOfFile(log), fullSize, "the log was written: the disk was not full")
        disk.free()
        let second = RTMPTestPlayer(port: srs.rtmpPort, stream: "full")
        players.append(second)
        XCTAssertTrue(Deadline.wait(timeout: 10) { second.keyframes > 0 }, second.error ?? "")
        XCTAssertTrue(Deadline.wait(timeout: 5) {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            return text.components(separatedBy: "-- disk full --").last?.contains("start play stream") == true
        }, "nothing logged once space was back")
        XCTAssertEqual(try worker(srs), workerPid, "the worker was respawned")
        XCTAssertTrue(srs.process.isRunning)
    }
}

extension FileManager {
    /// A file's size in bytes (0 if it cannot be read).
    fileprivate func sizeOfFile(_ path: String) -> Int {
        ((try? attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }
}
