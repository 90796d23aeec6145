import Glibc
import Kernel
import XCTest
@testable import System

/// Real children (sleep, sh) under a supervisor on a real loop: restart after the backoff,
/// TERM then KILL, no second copy while the first is stopping, logs and process groups.
final class ProcessSupervisorTests: XCTestCase {
    var loop: EventLoop!
    var supervisor: ProcessSupervisor!
    var dir: String!

    override func setUpWithError() throws {
        loop = try EventLoop()
        supervisor = ProcessSupervisor(loop: loop, environment: ["PATH": "/usr/bin:/bin"], clientCaused: false)
        supervisor.backoff = RestartBackoff(delaysMs: [50, 100], healthyAfterMs: 60_000)
        supervisor.killAfterMs = 100
        dir = "/tmp/supervisor-test-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        try FileSystem.makeDirectories(dir)
    }

    override func tearDown() {
        for pid in supervisor.carried.map(\.pid) { kill(pid, SIGKILL) }
        _ = run(500) { self.supervisor.isIdle }
        FileSystem.remove(dir + "/out.log")
        FileSystem.removeDirectory(dir)
    }

    /// Runs the loop, reaping, until `done` or `ms` passed.
    private func run(_ ms: Int64, until done: @escaping () -> Bool) -> Bool {
        var ok = false
        let reaper = loop.repeating(everyMs: 5) { [unowned self] in
            for e in Spawn.reap() { supervisor.reaped(e) }
            if done() {
                ok = true
                loop.stop()
            }
        }
        let timer = loop.schedule(afterMs: ms) { [unowned self] in loop.stop() }
        loop.run()
        reaper.cancel()
        loop.cancel(timer)
        return ok
    }

    private func sleeper(_ seconds: Int = 30) -> ChildCommand {
        ChildCommand(program: "/bin/sleep", arguments: ["sleep", "\(seconds)"])
    }

    /// A shell that ignores SIGTERM (and so does its sleep).
    private var stubborn: ChildCommand {
        ChildCommand(program: "/bin/sh", arguments: ["sh", "-c", "trap '' TERM; sleep 30"])
    }

    func testAKilledChildComesBackAfterItsBackoff() throws {
        supervisor.start(id: "a", label: "test a", command: sleeper())
        let first = try XCTUnwrap(supervisor.info("a")?.pid)
        XCTAssertEqual(supervisor.info("a")?.state, .running)
        kill(first, SIGKILL)
        XCTAssertTrue(run(2000) { self.supervisor.info("a")?.state == .waiting })
        XCTAssertEqual(supervisor.info("a")?.lastExit, "killed by signal 9")
        let waited = Clock.monotonicMs()
        XCTAssertTrue(run(2000) { self.supervisor.info("a")?.pid != nil })
        XCTAssertGreaterThanOrEqual(Clock.monotonicMs() - waited, 40)
        XCTAssertNotEqual(supervisor.info("a")?.pid, first)
        XCTAssertEqual(supervisor.info("a")?.starts, 2)
        // The second short run in a row waits longer.
        kill(try XCTUnwrap(supervisor.info("a")?.pid), SIGKILL)
        XCTAssertTrue(run(2000) { self.supervisor.info("a")?.state == .waiting })
        XCTAssertGreaterThan(supervisor.info("a")?.restartInMs ?? 0, 50)
    }

    func testStopSendsTermThenKillToTheWholeGroup() throws {
        supervisor.start(id: "s", label: "test s", command: stubborn)
        let pid = try XCTUnwrap(supervisor.info("s")?.pid)
        // The child leads its own process group.
        XCTAssertTrue(run(1000) { Self.processGroup(of: pid) == pid })
        XCTAssertTrue(run(1000) { !Self.children(of: pid).isEmpty })
        let sleep = Self.children(of: pid)
        let started = Clock.monotonicMs()
        var idle = false
        supervisor.onIdle = { idle = true }
        supervisor.stopAll(reason: "test")
        XCTAssertEqual(supervisor.info("s")?.state, .stopping)
        XCTAssertTrue(run(2000) { idle })
        XCTAssertGreaterThanOrEqual(Clock.monotonicMs() - started, 100, "SIGTERM was ignored: SIGKILL comes after killAfterMs")
        XCTAssertFalse(Processes.alive(pid))
        XCTAssertTrue(run(1000) { sleep.allSatisfy { !Processes.alive($0) } }, "the group's other process survived")
        XCTAssertNil(supervisor.info("s"))
    }

    func testANewCopyWaitsUntilTheOldOneIsGone() throws {
        supervisor.start(id: "r", label: "test r", command: stubborn)
        let old = try XCTUnwrap(supervisor.info("r")?.pid)
        supervisor.stop("r", reason: "test")
        supervisor.start(id: "r", label: "test r", command: sleeper())
        XCTAssertEqual(supervisor.infos.filter { $0.id == "r" }.map(\.state).sorted { $0.rawValue < $1.rawValue }, [.stopping, .waiting])
        XCTAssertTrue(run(2000) { self.supervisor.infos.count == 1 && self.supervisor.info("r")?.state == .running })
        XCTAssertFalse(Processes.alive(old))
        XCTAssertNotEqual(supervisor.info("r")?.pid, old)
    }

    func testAProgramThatCannotStartIsRetried() throws {
        supervisor.start(id: "x", label: "test x", command: ChildCommand(program: "/nonexistent/ffmpeg", arguments: ["ffmpeg"]))
        let info = try XCTUnwrap(supervisor.info("x"))
        XCTAssertEqual(info.state, .waiting)
        XCTAssertNil(info.pid)
        XCTAssertTrue(info.lastExit?.contains("No such file or directory") == true, info.lastExit ?? "")
        XCTAssertEqual(info.restartInMs, 50)
        supervisor.stop("x", reason: "test")
        XCTAssertNil(supervisor.info("x"))
    }

    func testOutputGoesToTheLogWithAHeader() throws {
        let log = dir + "/out.log"
        supervisor.start(id: "e", label: "test e", command: ChildCommand(program: "/bin/sh", arguments: ["sh", "-c", "echo out; echo err >&2; read x || echo eof"],
                                                                          stdoutPath: log, stderrPath: log))
        XCTAssertTrue(run(2000) { ((try? FileSystem.readText(log)) ?? "").contains("eof") })
        let text = try FileSystem.readText(log)
        XCTAssertTrue(text.contains("starts test e: sh -c 'echo out; echo err >&2; read x || echo eof'"), text)
        XCTAssertTrue(text.contains("out\nerr\neof\n"), text)
    }

    static func processGroup(of pid: pid_t) -> pid_t? {
        guard let s = try? FileSystem.readText("/proc/\(pid)/stat"), let close = s.lastIndex(of: ")") else { return nil }
        let f = s[s.index(after: close)...].split(separator: " ")
        return f.count > 2 ? pid_t(f[2]) : nil
    }

    static func children(of pid: pid_t) -> [pid_t] {
        FileSystem.list("/proc").compactMap { pid_t($0) }.filter { p in
            guard let s = try? FileSystem.readText("/proc/\(p)/stat"), let close = s.lastIndex(of: ")") else { return false }
            let f = s[s.index(after: close)...].split(separator: " ")
            return f.count > 1 && pid_t(f[1]) == pid
        }
    }
}

private enum Processes {
    /// Alive and not a zombie.
    static func alive(_ pid: pid_t) -> Bool {
        guard kill(pid, 0) == 0, let s = try? FileSystem.readText("/proc/\(pid)/stat"), let close = s.lastIndex(of: ")") else { return false }
        return s[s.index(after: close)...].split(separator: " ").first != "Z"
    }
}
