import Foundation
import Protocol
import XCTest

/// A running `srt-harness serve`, its report read back as JSON lines.
final class HarnessProcess {
    let child: ChildProcess
    let reportPath: String

    /// The built harness, next to this test bundle (.build/debug/srt-harness).
    static var binary: String {
        let exe = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("srt-harness").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return ".build/debug/srt-harness"
    }

    /// Starts `srt-harness serve` on `port`, in network namespace `namespace` if given (with
    /// `ip netns exec`, which execs: the pid is the harness's).
    init(port: Int, args: [String] = [], namespace: String? = nil) throws {
        reportPath = FileManager.default.temporaryDirectory.appendingPathComponent("srt-harness-\(UUID().uuidString.prefix(8)).jsonl").path
        let command = [Self.binary, "serve", "--port", "\(port)", "--report", reportPath] + args
        if let namespace {
            child = try ChildProcess("ip", ["netns", "exec", namespace] + command)
        } else {
            child = try ChildProcess(command[0], Array(command.dropFirst()))
        }
        guard waitFor("ready", timeout: 10) else {
            child.stop()
            throw XCTSkip("srt-harness did not start: \(child.output)")
        }
    }

    deinit {
        child.stop()
        try? FileManager.default.removeItem(atPath: reportPath)
    }

    var events: [JSONValue] {
        let text = (try? String(contentsOfFile: reportPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
    }

    func events(_ name: String) -> [JSONValue] { events.filter { $0["event"]?.stringValue == name } }

    func waitFor(_ name: String, timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if !events(name).isEmpty { return true }
            usleep(20_000)
        }
        return false
    }

    /// SIGTERM: the harness writes its open connections and a summary, then exits.
    func finish() -> JSONValue? {
        kill(child.pid, SIGTERM)
        _ = child.wait(timeout: 10)
        return events("summary").first
    }
}
