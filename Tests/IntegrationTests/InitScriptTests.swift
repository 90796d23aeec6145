import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Drives `init.d/srs` (the SRS-compatible service script) against the real built binary, in a
/// scratch install directory with free ports: start/status/reload/rotate/grace/stop/restart,
/// with `daemon off` and a real `daemon on`. Every server the script starts is killed by pid in
/// tearDown.
final class InitScriptTests: XCTestCase {
    private var install: ScratchInstall?

    override func tearDown() {
        install?.cleanup()
        install = nil
        super.tearDown()
    }

    private func makeInstall(_ config: String) throws -> ScratchInstall {
        let i = try ScratchInstall(config: config)
        install = i
        return i
    }

    /// Short graceful-quit waits keep the tests fast; the log goes to ./objs/srs.log.
    static let config = """
        listen {RTMP};
        daemon off;
        srs_log_tank file;
        srs_log_file ./objs/srs.log;
        pid ./objs/srs.pid;
        grace_start_wait 200;
        grace_final_wait 200;
        http_api {
            enabled on;
            listen {API};
        }
        vhost __defaultVhost__ {
        }
        """

    func testStartStatusReloadRotateGraceWithDaemonOff() throws {
        let i = try makeInstall(Self.config)
        let start = try i.run("start")
        XCTAssertEqual(start.status, 0, start.output)
        let pid = try XCTUnwrap(i.pidFromFile, "no pid file after start:\n\(start.output)\n\(i.log)")
        XCTAssertTrue(ProcState.isAlive(pid))
        XCTAssertTrue(TCPProbe.canConnect(port: i.rtmpPort), "start returned before the RTMP port listens")
        XCTAssertEqual(try HTTPClient.get(i.apiPort, "/readyz").status, 200)
        // daemon off: the script ran the server in the background with its output in the log file.
        XCTAssertEqual(ProcState.fdTarget(pid, 1), i.realRoot + "/objs/srs.log")

        let again = try i.run("start")
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("already running (pid \(pid))"), again.output)
        XCTAssertEqual(try i.run("status").status, 0)

        let reload = try i.run("reload")
        XCTAssertEqual(reload.status, 0, reload.output)
        XCTAssertTrue(Deadline.wait(timeout: 5) { i.log.range(of: #"(sig|signo)=1\b"#, options: .regularExpression) != nil },
                      "the server logged no SIGHUP:\n\(i.log)")
        XCTAssertTrue(ProcState.isAlive(pid), "SIGHUP killed the server:\n\(i.log)")
        XCTAssertEqual(i.pidFromFile, pid)
        XCTAssertTrue(TCPProbe.canConnect(port: i.rtmpPort))

        // rotate: logrotate moved the file away; SIGUSR1 makes the server write a new one.
        let logURL = i.root.appendingPathComponent("objs/srs.log")
        try FileManager.default.moveItem(at: logURL, to: i.root.appendingPathComponent("objs/srs.log.1"))
        let rotate = try i.run("rotate")
        XCTAssertEqual(rotate.status, 0, rotate.output)
        XCTAssertTrue(Deadline.wait(timeout: 5) { i.log.contains("reopen log file") }, "no new log file after rotate")

        let grace = try i.run("grace")
        XCTAssertEqual(grace.status, 0, grace.output)
        XCTAssertFalse(ProcState.isAlive(pid), "grace returned before the server exited")
        // grace_start_wait + grace_final_wait = 0.4 s; the rest is margin.
        XCTAssertGreaterThanOrEqual(grace.elapsed, 0.4)
        XCTAssertLessThan(grace.elapsed, 5)
        XCTAssertTrue(i.log.contains("srs gracefully quit"), i.log)
        XCTAssertNil(i.pidFromFile, "the server left its pid file")
        XCTAssertEqual(try i.run("status").status, 3)
    }

    func testGraceWaitsUntilConnectionsEnd() throws {
        let i = try makeInstall(Self.config)
        XCTAssertEqual(try i.run("start").status, 0, i.log)
        let pid = try XCTUnwrap(i.pidFromFile)
        // A client in the middle of its RTMP handshake: the server must wait for it.
        let fd = try RawClient.connect(port: i.rtmpPort)
        var open = true
        defer { if open { close(fd) } }

        let bounded = try i.run("grace", env: ["GRACE_TIMEOUT": "1"])
        XCTAssertEqual(bounded.status, 1, bounded.output)
        XCTAssertTrue(bounded.output.contains("still draining after 1s"), bounded.output)
        XCTAssertGreaterThanOrEqual(bounded.elapsed, 1)
        XCTAssertLessThan(bounded.elapsed, 4)
        XCTAssertTrue(ProcState.isAlive(pid), "the server quit with a connection open")

        // The server logs `wait for 1 conns to quit` each time it looks (every second): once it
        // has looked again after grace started, grace must still be waiting.
        let looks = i.log.components(separatedBy: "wait for 1 conns to quit").count
        let grace = try i.background("grace")
        defer { grace.stop() }
        XCTAssertTrue(Deadline.wait(timeout: 5) { i.log.components(separatedBy: "wait for 1 conns to quit").count > looks }, i.log)
        XCTAssertTrue(grace.isRunning, "grace returned while a connection was open:\n\(grace.output)")
        XCTAssertTrue(ProcState.isAlive(pid))

        close(fd)
        open = false
        let closedAt = Date()
        XCTAssertEqual(grace.wait(timeout: 5), 0, grace.output)
        XCTAssertFalse(ProcState.isAlive(pid))
        // The server looks again within 1 s, then waits grace_final_wait (0.2 s).
        XCTAssertLessThan(Date().timeIntervalSince(closedAt), 3)
        XCTAssertEqual(try i.run("status").status, 3)
    }

    func testDaemonOnStartRestartStop() throws {
        // This machine may be a container: keep `daemon on` for real.
        let i = try makeInstall(Self.config.replacingOccurrences(of: "daemon off;", with: "daemon on;\ndisable_daemon_for_docker off;"))
        let start = try i.run("start")
        XCTAssertEqual(start.status, 0, start.output + i.log)
        let pid = try XCTUnwrap(i.pidFromFile)
        XCTAssertTrue(ProcState.isAlive(pid))
        XCTAssertTrue(TCPProbe.canConnect(port: i.rtmpPort))
        // The daemon detached from the launcher's output: its stdout is /dev/null.
        XCTAssertEqual(ProcState.fdTarget(pid, 1), "/dev/null")

        let restart = try i.run("restart")
        XCTAssertEqual(restart.status, 0, restart.output)
        let newPid = try XCTUnwrap(i.pidFromFile)
        XCTAssertNotEqual(newPid, pid)
        XCTAssertFalse(ProcState.isAlive(pid))
        XCTAssertTrue(ProcState.isAlive(newPid))
        XCTAssertTrue(TCPProbe.canConnect(port: i.rtmpPort))

        let stop = try i.run("stop")
        XCTAssertEqual(stop.status, 0, stop.output)
        XCTAssertFalse(ProcState.isAlive(newPid))
        XCTAssertNil(i.pidFromFile)
        XCTAssertEqual(try i.run("status").status, 3)
        let again = try i.run("stop")
        XCTAssertEqual(again.status, 0, again.output)
        XCTAssertTrue(again.output.contains("not running"), again.output)
    }

    func testStartFailsFastOnBadConfigAndBusyPort() throws {
        let i = try makeInstall(Self.config)
        let good = try String(contentsOf: i.configURL, encoding: .utf8)
        try good.replacingOccurrences(of: "listen \(i.rtmpPort);", with: "listen not-a-port;")
            .write(to: i.configURL, atomically: true, encoding: .utf8)
        let bad = try i.run("start")
        XCTAssertEqual(bad.status, 1, bad.output)
        XCTAssertTrue(bad.output.contains("config check failed"), bad.output)
        XCTAssertNil(i.pidFromFile)

        // A listener without SO_REUSEPORT holds the RTMP port: the server cannot bind it.
        try good.write(to: i.configURL, atomically: true, encoding: .utf8)
        let holder = try PortHolder(port: i.rtmpPort)
        defer { holder.close() }
        let busy = try i.run("start")
        XCTAssertEqual(busy.status, 1, busy.output)
        XCTAssertTrue(busy.output.contains("failed to start"), busy.output)
        XCTAssertTrue(busy.output.contains("Address already in use"), "no log tail in:\n\(busy.output)")
        // The launched server died at once: no need to wait START_TIMEOUT (10 s).
        XCTAssertLessThan(busy.elapsed, 5)
        XCTAssertEqual(try i.run("status").status, 3)
    }

    func testReloadRefusesAnInvalidConfig() throws {
        let i = try makeInstall(Self.config)
        XCTAssertEqual(try i.run("start").status, 0, i.log)
        let pid = try XCTUnwrap(i.pidFromFile)
        try "listen 1935\nvhost {".write(to: i.configURL, atomically: true, encoding: .utf8)
        let reload = try i.run("reload")
        XCTAssertEqual(reload.status, 1, reload.output)
        XCTAssertTrue(reload.output.contains("config check failed"), reload.output)
        XCTAssertTrue(ProcState.isAlive(pid))
        XCTAssertNil(i.log.range(of: #"(sig|signo)=1\b"#, options: .regularExpression), "SIGHUP sent despite the invalid config")
    }

    func testUpgradeWaitsForTheMasterToRunTheNewBinary() throws {
        let i = try makeInstall(Self.config)
        // The install's own copy of the binary, replaced below as a package upgrade would.
        let app = i.root.appendingPathComponent("objs/srs")
        try FileManager.default.createDirectory(at: app.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: SRSBinary.path, toPath: app.path)
        let env = ["APP": "./objs/srs"]
        XCTAssertEqual(try i.run("start", env: env).status, 0, i.log)
        let pid = try XCTUnwrap(i.pidFromFile)

        // A new file (new inode) at the same path: the running master now executes a deleted file.
        let staged = i.root.appendingPathComponent("objs/srs.new")
        try FileManager.default.copyItem(atPath: SRSBinary.path, toPath: staged.path)
        XCTAssertEqual(rename(staged.path, app.path), 0)
        XCTAssertEqual(ProcState.exe(pid), i.realRoot + "/objs/srs (deleted)")

        let upgrade = try i.run("upgrade", env: env)
        XCTAssertEqual(upgrade.status, 0, upgrade.output + i.log)
        XCTAssertTrue(upgrade.output.contains("upgraded: pid \(pid) now runs"), upgrade.output)
        XCTAssertEqual(ProcState.exe(pid), i.realRoot + "/objs/srs", "the master does not run the new file")
        XCTAssertEqual(i.pidFromFile, pid, "a hot upgrade keeps the master's pid")
        XCTAssertTrue(TCPProbe.canConnect(port: i.rtmpPort))

        // A new binary that cannot even check the config is refused before any signal is sent.
        try "#!/bin/sh\necho broken >&2\nexit 1\n".write(to: staged, atomically: true, encoding: .utf8)
        XCTAssertEqual(chmod(staged.path, 0o755), 0)
        XCTAssertEqual(rename(staged.path, app.path), 0)
        let refused = try i.run("upgrade", env: env)
        XCTAssertEqual(refused.status, 1, refused.output)
        XCTAssertTrue(refused.output.contains("config check failed") && refused.output.contains("broken"), refused.output)
        XCTAssertTrue(ProcState.isAlive(pid))
        let usr2 = try NSRegularExpression(pattern: #"(sig|signo)=12\b"#)
        XCTAssertEqual(usr2.numberOfMatches(in: i.log, range: NSRange(i.log.startIndex..., in: i.log)), 1,
                       "SIGUSR2 sent to a broken binary:\n\(i.log)")
    }

    func testCommandsOnAStoppedServer() throws {
        let i = try makeInstall(Self.config)
        XCTAssertEqual(try i.run("status").status, 3)
        XCTAssertEqual(try i.run("stop").status, 0)
        XCTAssertEqual(try i.run("grace").status, 0, "preStop on a stopped server must succeed")
        for command in ["reload", "rotate", "upgrade"] {
            XCTAssertEqual(try i.run(command).status, 7, "\(command): LSB 7, program is not running")
        }
        let usage = try i.run("bogus")
        XCTAssertEqual(usage.status, 2)
        XCTAssertTrue(usage.output.contains("start|stop|status|restart|reload|rotate|grace|upgrade"), usage.output)
        // A stale pid file (crash) is reported, then cleaned by stop.
        try FileManager.default.createDirectory(at: i.root.appendingPathComponent("objs"), withIntermediateDirectories: true)
        try "999999\n".write(to: i.root.appendingPathComponent("objs/srs.pid"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try i.run("status").status, 1)
        XCTAssertEqual(try i.run("stop").status, 0)
        XCTAssertNil(i.pidFromFile)
    }
}

/// A scratch SRS install directory: ROOT for init.d/srs, with conf/srs.conf on free ports.
private final class ScratchInstall {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("init.d/srs").path

    let root: URL
    /// The root with symlinks resolved, as /proc shows paths.
    var realRoot: String { root.resolvingSymlinksInPath().path }
    let rtmpPort = FreePort.next()
    let apiPort = FreePort.next()
    var configURL: URL { root.appendingPathComponent("conf/srs.conf") }
    /// Every server pid seen, killed in cleanup() if still ours and alive.
    private var pids = Set<Int32>()

    init(config: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("srs-initd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("conf"), withIntermediateDirectories: true)
        try config.replacingOccurrences(of: "{RTMP}", with: "\(rtmpPort)").replacingOccurrences(of: "{API}", with: "\(apiPort)")
            .write(to: configURL, atomically: true, encoding: .utf8)
    }

    var pidFromFile: Int32? {
        guard let text = try? String(contentsOf: root.appendingPathComponent("objs/srs.pid"), encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return nil }
        pids.insert(pid)
        return pid
    }

    var log: String { (try? String(contentsOf: root.appendingPathComponent("objs/srs.log"), encoding: .utf8)) ?? "" }

    /// Runs the script as a shell would: with only fds 0-2. Foundation's Process hands its child
    /// one end of a socket pair and reports the exit only when every holder has closed it, so a
    /// server started by the script would otherwise keep the script "running" for its lifetime.
    private static let closeInheritedFDs =
        #"for f in /proc/$$/fd/*; do n=${f##*/}; [ "$n" -gt 2 ] && eval "exec $n>&-" 2>/dev/null; done; exec "$@""#

    private func arguments(_ command: String, _ env: [String: String]) -> [String] {
        var vars = ["ROOT": root.path, "APP": SRSBinary.path, "CONFIG": "./conf/srs.conf"]
        vars.merge(env) { $1 }
        return ["-c", Self.closeInheritedFDs, "init.d", "/usr/bin/env"]
            + vars.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [Self.script, command]
    }

    /// Runs `init.d/srs COMMAND` to completion (bounded).
    func run(_ command: String, env: [String: String] = [:], timeout: TimeInterval = 20) throws
        -> (status: Int32?, output: String, elapsed: TimeInterval) {
        let started = Date()
        let (status, output) = try Tool.run("/bin/bash", arguments(command, env), timeout: timeout)
        _ = pidFromFile
        return (status, output, Date().timeIntervalSince(started))
    }

    /// Starts `init.d/srs COMMAND` and returns at once; the caller waits or stops it.
    func background(_ command: String) throws -> Tool {
        try Tool("/bin/bash", arguments(command, [:]))
    }

    /// Kills, by pid, every server of this install still running, then removes the directory.
    func cleanup() {
        _ = pidFromFile
        for pid in pids where ProcState.isAlive(pid) && ProcState.cwd(pid) == realRoot {
            kill(pid, SIGTERM)
            if !Deadline.wait(timeout: 3, { !ProcState.isAlive(pid) }) { kill(pid, SIGKILL) }
        }
        try? FileManager.default.removeItem(at: root)
    }
}

/// What /proc says about a process that is not our child (the script's servers are orphans).
private enum ProcState {
    /// Alive and not a zombie waiting for init to reap it.
    static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let paren = stat.range(of: ") ", options: .backwards) else { return false }
        let state = stat[paren.upperBound...].prefix(1)
        return state != "Z" && state != "X"
    }

    /// The file the process executes ("PATH (deleted)" once that file was replaced).
    static func exe(_ pid: Int32) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/exe")
    }

    static func fdTarget(_ pid: Int32, _ fd: Int) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")
    }

    static func cwd(_ pid: Int32) -> String? {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")).map {
            URL(fileURLWithPath: $0).resolvingSymlinksInPath().path
        }
    }
}

/// A plain listener (no SO_REUSEPORT) on 0.0.0.0:port, so the server's bind of that port fails.
private final class PortHolder {
    private var fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = INADDR_ANY
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 8) == 0 else {
            Glibc.close(fd)
            throw TestError("cannot hold port \(port): errno \(errno)")
        }
    }

    func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}
