import Foundation
import XCTest

/// Runs the command-line tools the Kernel tests check against (ffmpeg, ffprobe).
enum ToolRunner {
    static func which(_ name: String) -> String? {
        ["/usr/bin", "/usr/local/bin", "/bin", "/opt/homebrew/bin"].map { "\($0)/\(name)" }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a tool to completion (killed after `timeout` seconds); returns its status and output.
    static func run(_ path: String, _ args: [String], timeout: TimeInterval = 60) throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("kernel-tool-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let handle = try FileHandle(forWritingTo: log)
        defer { try? handle.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = args
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("\(path) timed out")
        }
        let output = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return (process.terminationStatus, output)
    }
}
