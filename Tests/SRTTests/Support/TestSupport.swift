import Foundation
import System
import XCTest
#if canImport(Glibc)
import Glibc
#endif

extension EventLoop {
    /// Runs the loop until `done()` holds or `timeoutMs` passed; false on timeout.
    func run(timeoutMs: Int64, until done: @escaping () -> Bool) -> Bool {
        var ok = false
        let check = repeating(everyMs: 10) { [weak self] in
            if done() { ok = true; self?.stop() }
        }
        let guardTimer = schedule(afterMs: timeoutMs) { [weak self] in self?.stop() }
        run()
        check.cancel()
        cancel(guardTimer)
        return ok
    }
}

/// Free UDP ports below the ephemeral range (no client can be given one between our pick and
/// the bind), handed out once each per test run.
enum FreeUDPPort {
    nonisolated(unsafe) private static var used = Set<Int>()
    private static let lock = NSLock()

    static func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        for _ in 0..<1000 {
            let port = Int.random(in: 20_000..<30_000)
            if !used.contains(port) && canBind(port) {
                used.insert(port)
                return port
            }
        }
        return 0
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = INADDR_ANY
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}

/// A small H.264 (x264, B-frames) + AAC transport stream made by ffmpeg, once per run.
enum TSFixture {
    nonisolated(unsafe) private static var made: String?
    private static let lock = NSLock()

    static func path() throws -> String {
        lock.lock()
        defer { lock.unlock() }
        if let made { return made }
        guard ChildProcess.which("ffmpeg") != nil else { throw XCTSkip("ffmpeg not installed") }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("srt-fixture-\(getpid()).ts").path
        let (status, log) = try ChildProcess.run("ffmpeg", [
            "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=25",
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "6",
            "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", "25",
            "-c:a", "aac", "-b:a", "64k", "-f", "mpegts", path], timeout: 60)
        guard status == 0 else { throw XCTSkip("ffmpeg cannot make the fixture (no libx264?): \(log)") }
        made = path
        return path
    }

    static func bytes() throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try path())))
    }
}

/// `srt://127.0.0.1:port?streamid=...` (ffmpeg's srt protocol reads the query itself).
func srtURL(port: Int, streamID: String, extra: String = "") -> String {
    "srt://127.0.0.1:\(port)?streamid=\(streamID)" + (extra.isEmpty ? "" : "&" + extra)
}
