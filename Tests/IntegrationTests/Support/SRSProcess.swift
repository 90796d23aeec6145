import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Locates the built `srs` binary: $SRS_BINARY, else next to this test bundle (.build/debug/srs).
enum SRSBinary {
    static var path: String {
        if let p = ProcessInfo.processInfo.environment["SRS_BINARY"] { return p }
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // Bundle layout differs across toolchains: look up a few levels.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("srs").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/srs"
    }
}

/// Free TCP ports, handed out once each per test run. They are taken below the kernel's
/// ephemeral range (ip_local_port_range), so no client connection (ours, ffmpeg's, a parallel
/// test run's) can be given the port between our pick and the server's bind. A port counts as
/// free when it can be bound on 0.0.0.0, where the servers listen.
enum FreePort {
    nonisolated(unsafe) private static var used = Set<Int>()
    nonisolated(unsafe) private static var random = SystemRandomNumberGenerator()
    private static let lock = NSLock()

    static func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let low = 10_000
        let high = max(low + 1000, ephemeralStart)
        for _ in 0..<1000 {
            let port = Int.random(in: low..<high, using: &random)
            if !used.contains(port) && canBind(port) {
                used.insert(port)
                return port
            }
        }
        return 0
    }

    /// The first port the kernel hands out to outgoing connections.
    private static var ephemeralStart: Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) } ?? 32768
    }

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
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

/// A running `srs` with its own temp working directory and config; always stopped by `stop()`
/// (tests call it in `defer`/teardown) by pid.
final class SRSProcess {
    let dir: URL
    let rtmpPort: Int
    let httpPort: Int
    let apiPort: Int
    let process = Process()
    let logURL: URL

    /// `config` may use {RTMP}, {HTTP}, {API} placeholders for the chosen ports. `layout`, when
    /// given, writes the config itself (e.g. as a K8s ConfigMap mount) and returns its path
    /// relative to the working directory.
    init(config: String, layout: ((URL, String) throws -> String)? = nil, binary: String? = nil) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("srs-it-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        rtmpPort = FreePort.next()
        httpPort = FreePort.next()
        apiPort = FreePort.next()
        let text = config.replacingOccurrences(of: "{RTMP}", with: "\(rtmpPort)")
            .replacingOccurrences(of: "{HTTP}", with: "\(httpPort)")
            .replacingOccurrences(of: "{API}", with: "\(apiPort)")
        let configPath: String
        if let layout {
            configPath = try layout(dir, text)
        } else {
            try text.write(to: dir.appendingPathComponent("srs.conf"), atomically: true, encoding: .utf8)
            configPath = "srs.conf"
        }
        logURL = dir.appendingPathComponent("console.log")
        _ = FileManager.default.createFile(atPath: logURL.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: binary ?? SRSBinary.path)
        process.arguments = ["-c", configPath]
        process.currentDirectoryURL = dir
        let out = try FileHandle(forWritingTo: logURL)
        process.standardOutput = out
        process.standardError = out
        try process.run()
    }

    static let basicConfig = """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        vhost __defaultVhost__ {
        }
        """

    var pid: Int32 { process.processIdentifier }

    /// The config with this process's ports filled in.
    func render(_ config: String) -> String {
        config.replacingOccurrences(of: "{RTMP}", with: "\(rtmpPort)")
            .replacingOccurrences(of: "{HTTP}", with: "\(httpPort)")
            .replacingOccurrences(of: "{API}", with: "\(apiPort)")
    }

    /// Rewrites srs.conf in place (for reload tests).
    func rewriteConfig(_ config: String) throws {
        try render(config).write(to: dir.appendingPathComponent("srs.conf"), atomically: false, encoding: .utf8)
    }

    /// Waits until `port` accepts TCP connections.
    func waitListening(_ port: Int? = nil, timeout: TimeInterval = 10) throws {
        let p = port ?? rtmpPort
        Deadline.wait(timeout: timeout) { !process.isRunning || TCPProbe.canConnect(port: p) }
        if !process.isRunning { throw TestError("srs exited early (\(process.terminationStatus)):\n\(log)") }
        if !TCPProbe.canConnect(port: p) { throw TestError("srs not listening on \(p) within \(timeout)s:\n\(log)") }
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    func signal(_ sig: Int32) { kill(pid, sig) }

    /// Waits for the process to exit; returns its status or nil on timeout.
    @discardableResult
    func waitExit(timeout: TimeInterval) -> Int32? {
        Deadline.wait(timeout: timeout) { !process.isRunning } ? process.terminationStatus : nil
    }

    /// TERM, then KILL after 5 s; removes the temp dir.
    func stop() {
        if process.isRunning {
            kill(pid, SIGTERM)
            if waitExit(timeout: 5) == nil {
                kill(pid, SIGKILL)
                waitExit(timeout: 5)
            }
        }
        try? FileManager.default.removeItem(at: dir)
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ s: String) { description = s }
}

enum TCPProbe {
    static func canConnect(port: Int, host: String = "127.0.0.1") -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr(host)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        return r == 0
    }
}
