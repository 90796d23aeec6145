import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A child process (ffmpeg, ffprobe, the srt-harness) with its output in a file, bounded in
/// time and stopped by pid (TERM, then KILL).
final class ChildProcess {
    let process = Process()
    let name: String
    private let outURL: URL

    init(_ name: String, _ args: [String]) throws {
        self.name = name
        outURL = FileManager.default.temporaryDirectory.appendingPathComponent("srt-child-\(UUID().uuidString.prefix(8)).log")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let h = try FileHandle(forWritingTo: outURL)
        process.executableURL = URL(fileURLWithPath: name.hasPrefix("/") ? name : Self.which(name) ?? name)
        process.arguments = args
        process.standardOutput = h
        process.standardError = h
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    deinit { stop() }

    static func which(_ name: String) -> String? {
        ["/usr/bin", "/usr/local/bin", "/bin", "/usr/sbin", "/sbin"].map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }
    var output: String { (try? String(contentsOf: outURL, encoding: .utf8)) ?? "" }

    /// Waits for exit within `timeout`; stops it on timeout. The exit status, nil if stopped.
    @discardableResult
    func wait(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !process.isRunning { return process.terminationStatus }
            usleep(20_000)
        }
        stop()
        return nil
    }

    /// TERM, then KILL after 3 s; removes the output file.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(3)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: outURL)
    }

    /// Runs to completion; (status or nil if it timed out, output).
    static func run(_ name: String, _ args: [String], timeout: TimeInterval) throws -> (Int32?, String) {
        let child = try ChildProcess(name, args)
        let status = child.wait(timeout: timeout)
        let output = child.output
        child.stop()
        return (status, output)
    }
}
