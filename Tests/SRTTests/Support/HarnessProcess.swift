import Foundation
import Protocol
import System
import XCTest

/// A running `srt-harness serve`, its report read back as JSON lines. Stopped by pid.
final class HarnessProcess {
    let pid: Int32
    let reportPath: String
    private var child: ChildProcess?
    private var reaped = false

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

    private static func newReportPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("srt-harness-\(UUID().uuidString.prefix(8)).jsonl").path
    }

    /// Starts `srt-harness serve` on `port`, in network namespace `namespace` if given (with
    /// `ip netns exec`, which execs: the pid is the harness's).
    init(port: Int, args: [String] = [], namespace: String? = nil) throws {
        reportPath = Self.newReportPath()
        let command = [Self.binary, "serve", "--port", "\(port)", "--report", reportPath] + args
        let child = namespace.map { try? ChildProcess("ip", ["netns", "exec", $0] + command) }
            ?? (try? ChildProcess(command[0], Array(command.dropFirst())))
        guard let child else { throw XCTSkip("cannot start \(command[0])") }
        self.child = child
        pid = child.pid
        try waitReady()
    }

    /// Starts `srt-harness serve` on a bound UDP socket of ours, which it gets as fd 3 (as a
    /// worker gets its master's sockets); we keep our copy.
    init(udpFD: Int32, args: [String] = []) throws {
        reportPath = Self.newReportPath()
        let command = [Self.binary, "serve", "--udp-fd", "3", "--report", reportPath] + args
        // The child gets its own copy of a copy of ours, closed here once it is spawned.
        pid = try Spawn.process(path: command[0], arguments: command, environment: ProcessEnv.environment(),
                                channel: FileDescriptor(adopting: dup(udpFD)))
        try waitReady()
    }

    deinit { stop() }

    private func waitReady() throws {
        guard waitFor("ready", timeout: 10) else {
            stop()
            throw XCTSkip("srt-harness did not start")
        }
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
        kill(pid, SIGTERM)
        wait(timeout: 10)
        return events("summary").first
    }

    /// SIGKILL, as a crash: nothing is written.
    func crash() {
        kill(pid, SIGKILL)
        wait(timeout: 10)
    }

    /// Stops it (TERM, then KILL) and removes the report.
    func stop() {
        if !reaped {
            kill(pid, SIGTERM)
            if !wait(timeout: 3) {
                kill(pid, SIGKILL)
                wait(timeout: 3)
            }
        }
        try? FileManager.default.removeItem(atPath: reportPath)
    }

    /// Waits for the process to exit (reaping it when we spawned it ourselves).
    @discardableResult
    private func wait(timeout: TimeInterval) -> Bool {
        if reaped { return true }
        if let child {
            reaped = child.wait(timeout: timeout) != nil || !child.isRunning
            return reaped
        }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                reaped = true
                return true
            }
            usleep(20_000)
        }
        return false
    }
}
