import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Clients that trigger the same warning over and over cannot grow the log faster than about
/// 1 MB a minute: the first occurrences are written, then a summary with a count (issue 13,
/// part 3).
final class LogFloodTests: XCTestCase {
    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        http_server { enabled on; listen {HTTP}; dir ./html; }
        vhost __defaultVhost__ {
            http_remux { enabled on; mount [vhost]/[app]/[stream].flv; }
            play { queue_length 1; }
        }
        """

    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
    }

    /// Bytes of the console log now.
    func logSize(_ srs: SRSProcess) -> Int {
        (try? FileManager.default.attributesOfItem(atPath: srs.logURL.path)[.size] as? Int) ?? 0
    }

    func testTwentyStalledFLVPlayersCannotFloodTheLog() throws {
        let srs = try SRSProcess(config: Self.config)
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        // A fast publisher: 16x real time, a keyframe every 4 frames, 2 Mbps of media. Each stalled
        // player overflows its queue again at every keyframe: hundreds of warnings a second.
        let pub = try Tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-readrate", "16",
                                      "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25", "-t", "600",
                                      "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "4",
                                      "-b:v", "2M", "-pix_fmt", "yuv420p", "-f", "flv", "rtmp://127.0.0.1:\(srs.rtmpPort)/live/flood"])
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 15)

        // One honest player that reads everything, on its own thread (ClusterSupport.swift).
        let reader = FLVReader(port: srs.httpPort, path: "/live/flood.flv")
        defer { reader.stop() }
        // Twenty players that send their request and never read.
        var stalled: [Int32] = []
        defer { for fd in stalled { close(fd) } }
        for _ in 0..<20 {
            let fd = try RawClient.connect(port: srs.httpPort, receiveBuffer: 4096)
            RawClient.send(fd, Array("GET /live/flood.flv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            stalled.append(fd)
        }
        try srs.waitForLog("player too slow", timeout: 20)
        let startSize = logSize(srs)
        let start = Date()
        let seconds = 15.0
        var readAtTen = 0
        while Date().timeIntervalSince(start) < seconds {
            if readAtTen == 0 && Date().timeIntervalSince(start) >= seconds - 5 { readAtTen = reader.bytes }
            XCTAssertTrue(srs.process.isRunning)
            usleep(200_000)  // the flood goes on for a fixed time: the log's growth over it is measured
        }
        let grown = logSize(srs) - startSize
        let perMinute = Double(grown) * 60 / seconds
        print("log grew \(grown) bytes in \(seconds)s under the flood: \(Int(perMinute)) bytes/minute")
        let log = srs.log
        let tooSlow = log.components(separatedBy: "\n").filter { $0.contains("player too slow") }
        // The bound is ~1 MB a minute (250 KB in 15 s); a rate-limited log stays far below it.
        XCTAssertLessThan(perMinute, 200_000, "log grows \(Int(perMinute)) bytes/minute; \(tooSlow.count) 'too slow' lines")
        XCTAssertTrue(tooSlow.contains { $0.contains("player too slow: dropped") }, "the first occurrence is written in full")
        XCTAssertTrue(tooSlow.contains { $0.range(of: #"player too slow: \d+ more in \d+s, last cid="#, options: .regularExpression) != nil },
                      "a summary with a count: \(tooSlow.suffix(5))")
        // The honest player kept receiving media all along (4 Mbps: far more than 100 KB in 5 s).
        XCTAssertFalse(reader.closed, "the reading player was not cut")
        XCTAssertGreaterThan(reader.bytes - readAtTen, 100_000, "the reading player still receives media")
        XCTAssertTrue(pub.isRunning, "the publisher is not disturbed")
    }

    /// A client that opens and closes connections as fast as it can (each one logs its accept
    /// and its close): after the saved burst the log grows at the budget's pace.
    func testConnectionChurnCannotFloodTheLog() throws {
        let srs = try SRSProcess(config: SRSProcess.basicConfig)
        defer { srs.stop() }
        try srs.waitListening()
        let startSize = logSize(srs)
        let churn = ConnectionChurn(port: srs.rtmpPort)
        defer { churn.stop() }
        // Once the saved burst is spent, the limiter counts what it does not write.
        let summary = #"rtmp client closed: \d+ more in \d+s"#
        let spent = Deadline.wait(timeout: 30, every: 0.1) { srs.log.range(of: summary, options: .regularExpression) != nil }
        let atSpent = logSize(srs)
        usleep(5_000_000)  // the log's growth over a fixed time is what is measured
        let atEnd = logSize(srs)
        churn.stop()
        print("\(churn.connections) connections; log grew \(atSpent - startSize) bytes until the burst was spent, then \(atEnd - atSpent) in 5 s")
        XCTAssertTrue(spent, "no summary: every connection's lines were written (\(atSpent - startSize) bytes)")
        // The burst (512 KiB) and up to 30 s at 6 KiB/s, then 5 s at the budget's pace.
        XCTAssertLessThan(atEnd - startSize, 1_000_000)
        XCTAssertLessThan(atEnd - atSpent, 60_000, "5 s at the budget's pace")
        XCTAssertTrue(srs.process.isRunning)
        XCTAssertTrue(try RTMPRawSession.run(port: srs.rtmpPort, app: "live", stream: "after").contains("NetStream.Publish.Start"))
    }
}

/// Opens and closes RTMP connections (each with a few handshake bytes) as fast as it can, on its
/// own thread, until stopped.
final class ConnectionChurn: @unchecked Sendable {
    private let lock = NSLock()
    private var running = true
    private var finished = false
    private var count = 0

    init(port: Int) {
        Thread { [self] in
            while lock.withLock({ running }) {
                guard let fd = try? RawClient.connect(port: port) else { continue }
                RawClient.send(fd, [3, 1, 2, 3])
                close(fd)
                lock.withLock { count += 1 }
            }
            lock.withLock { finished = true }
        }.start()
    }

    var connections: Int { lock.withLock { count } }

    func stop() {
        lock.withLock { running = false }
        _ = Deadline.wait(timeout: 5) { lock.withLock { finished } }
    }
}
