import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The image's process model without a Docker engine: the server started as the image's CMD
/// (`./objs/srs -c conf/srs.conf` in the image's /usr/local/srs layout) as PID 1 of a new PID
/// and mount namespace (`unshare --pid --fork --mount-proc`), as a container runtime starts it,
/// with Kubernetes' environment. What only PID 1 has to get right is checked here: `daemon on`
/// must turn itself off (a PID 1 that forks and exits ends the container), signals must reach
/// it (the kernel drops signals to a namespace's init that it does not handle), and it must
/// reap every orphan the namespace gives it, not only its workers. The preStop hook
/// `etc/init.d/srs grace` runs inside the namespace (as `kubectl exec` would), where the pid
/// file says 1.
final class ContainerTests: XCTestCase {
    private var container: Container?

    override func tearDown() {
        container?.stop()
        container = nil
        super.tearDown()
    }

    private func start(_ extraEnvironment: [String: String] = [:]) throws -> Container {
        guard Tool.available("unshare"), Tool.available("nsenter"), getuid() == 0 else {
            throw XCTSkip("needs root with unshare/nsenter (util-linux)")
        }
        let c = try Container(extraEnvironment: extraEnvironment)
        container = c
        return c
    }

    func testServerIsAWellBehavedPID1WithDaemonOnAndThePreStopGrace() throws {
        let c = try start(["SRS_DAEMON": "on"])
        try c.waitHealthy()
        let master = try c.initPid()
        XCTAssertEqual(c.namespacePid(of: master), 1, "the server is PID 1 of its namespace")
        XCTAssertTrue(Processes.title(of: master).contains("master"), Processes.title(of: master))
        XCTAssertTrue(c.log.contains("running in a container (KUBERNETES_SERVICE_HOST"), c.log)
        XCTAssertTrue(c.log.contains("daemon=off"), "daemon on is turned off in a container:\n\(c.log)")

        // It serves: RTMP accepts, the API answers with its version.
        XCTAssertTrue(TCPProbe.canConnect(port: c.rtmpPort))
        let versions = try HTTPClient.getJSON(port: c.apiPort, path: "/api/v1/versions")
        XCTAssertEqual(versions["code"] as? Int, 0)

        // Orphans are re-parented to PID 1 and reaped by it: a shell inside the namespace
        // starts a `sleep` and exits at once. (Not waited for: Foundation's Process sees the
        // exit only when every holder of its status socket, the orphan too, has closed it.)
        let shell = try c.spawn(["sh", "-c", "sleep 1 & exit 0"])
        XCTAssertTrue(Deadline.wait(timeout: 5) { c.children(of: master).contains { $0.name == "sleep" } },
                      "the orphan was not re-parented to the server: \(c.children(of: master))")
        XCTAssertTrue(Deadline.wait(timeout: 5) { !c.children(of: master).contains { $0.name == "sleep" } },
                      "the orphan was not reaped: \(c.children(of: master))")
        XCTAssertEqual(shell.wait(timeout: 5), 0, shell.output)
        shell.stop()
        XCTAssertFalse(c.children(of: master).contains { $0.state == "Z" }, "zombies: \(c.children(of: master))")

        // A killed worker is reaped and replaced.
        let workers = c.children(of: master).map(\.pid)
        XCTAssertEqual(workers.count, 1, "\(c.children(of: master))")
        kill(workers[0], SIGKILL)
        XCTAssertTrue(Deadline.wait(timeout: 5) {
            let now = c.children(of: master)
            return now.count == 1 && now[0].pid != workers[0] && now[0].state != "Z"
        }, "worker not respawned: \(c.children(of: master))")
        try c.waitHealthy()

        // The preStop hook: `etc/init.d/srs grace` inside the namespace signals PID 1 (from the
        // pid file) and waits for it to quit; the container's init exits 0.
        let (statusBefore, statusOut) = try c.exec(["sh", c.root.appendingPathComponent("etc/init.d/srs").path, "status"])
        XCTAssertEqual(statusBefore, 0, statusOut)
        XCTAssertTrue(statusOut.contains("(pid 1)"), statusOut)
        // When PID 1 exits the kernel kills the rest of the namespace, the hook included (as
        // the kubelet sees it when the container ends during its preStop): it returns 0 if it
        // saw the exit first, else it dies of SIGKILL.
        let (graceStatus, graceOut) = try c.exec(["sh", c.root.appendingPathComponent("etc/init.d/srs").path, "grace"],
                                                 timeout: 30)
        XCTAssertTrue(graceStatus == 0 || graceStatus == SIGKILL, "grace: \(graceStatus.map(String.init) ?? "timeout")\n\(graceOut)")
        XCTAssertTrue(graceOut.contains("graceful quit (pid 1, SIGQUIT)"), graceOut)
        XCTAssertEqual(c.waitExit(timeout: 10), 0, "the container's init did not exit 0:\n\(c.log)")
        XCTAssertTrue(c.log.contains("sig=3, user start gracefully quit"), c.log)
        XCTAssertTrue(c.log.contains("srs gracefully quit"), c.log)
    }

    /// `docker stop` sends SIGTERM to PID 1 from outside its namespace: a fast quit, exit 0,
    /// well within Docker's 10 s before SIGKILL.
    func testDockerStopTermIsHandledByPID1() throws {
        let c = try start()
        try c.waitHealthy()
        let master = try c.initPid()
        XCTAssertEqual(c.namespacePid(of: master), 1)
        let sent = Date()
        kill(master, SIGTERM)
        XCTAssertEqual(c.waitExit(timeout: 5), 0, c.log)
        let took = Date().timeIntervalSince(sent)
        print("container: PID 1 quit \(Int(took * 1000)) ms after SIGTERM")
        XCTAssertLessThan(took, 5)
        XCTAssertTrue(c.log.contains("sig=15"), c.log)
    }
}

/// A scratch copy of the image's runtime layout (see Dockerfile: objs/srs, conf/srs.conf,
/// objs/nginx/html, etc/init.d/srs under one root) run by `unshare` as a namespace's init, with
/// the image's CMD and free ports given through SRS's environment overrides (as a Kubernetes
/// Deployment would set them). Stopped by killing the unshare process: `--kill-child` takes the
/// namespace's init, and so the whole namespace, with it.
private final class Container {
    let root: URL
    let rtmpPort = FreePort.next()
    let apiPort = FreePort.next()
    let httpPort = FreePort.next()
    private let process = Process()
    private let logURL: URL

    init(extraEnvironment: [String: String]) throws {
        let fm = FileManager.default
        root = fm.temporaryDirectory.appendingPathComponent("srs-container-\(UUID().uuidString.prefix(8))")
        let repo = Container.repositoryRoot
        for dir in ["objs", "conf", "etc/init.d", "objs/nginx"] {
            try fm.createDirectory(at: root.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
        try fm.createSymbolicLink(atPath: root.appendingPathComponent("objs/srs").path,
                                  withDestinationPath: SRSBinary.path)
        try fm.copyItem(at: repo.appendingPathComponent("conf/srs.conf"), to: root.appendingPathComponent("conf/srs.conf"))
        try fm.copyItem(at: repo.appendingPathComponent("html"), to: root.appendingPathComponent("objs/nginx/html"))
        try fm.copyItem(at: repo.appendingPathComponent("init.d/srs"), to: root.appendingPathComponent("etc/init.d/srs"))
        logURL = root.appendingPathComponent("console.log")
        _ = fm.createFile(atPath: logURL.path, contents: nil)

        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("SRS_") }
        env["KUBERNETES_SERVICE_HOST"] = "10.96.0.1"
        env["SRS_LISTEN"] = "\(rtmpPort)"
        env["SRS_HTTP_API_LISTEN"] = "\(apiPort)"
        env["SRS_HTTP_SERVER_LISTEN"] = "\(httpPort)"
        env["SRS_GRACE_START_WAIT"] = "100"
        env["SRS_GRACE_FINAL_WAIT"] = "100"
        env.merge(extraEnvironment) { $1 }
        process.environment = env
        process.executableURL = URL(fileURLWithPath: Tool.which("unshare"))
        process.arguments = ["--pid", "--fork", "--mount-proc", "--kill-child", "./objs/srs", "-c", "conf/srs.conf"]
        process.currentDirectoryURL = root
        let out = try FileHandle(forWritingTo: logURL)
        process.standardOutput = out
        process.standardError = out
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// The repository (conf/, html/, init.d/): the test sources' grandparent directory.
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    var log: String { (try? String(contentsOf: logURL, encoding: .utf8)) ?? "" }

    func waitHealthy(timeout: TimeInterval = 10) throws {
        let ok = Deadline.wait(timeout: timeout) {
            process.isRunning && (try? HTTPClient.get(apiPort, "/healthz"))?.status == 200
        }
        if !ok { throw TestError("no /healthz within \(timeout)s (running: \(process.isRunning)):\n\(log)") }
    }

    /// The namespace's init, as the host sees it: unshare's only child.
    func initPid() throws -> Int32 {
        var found: [Int32] = []
        _ = Deadline.wait(timeout: 5) {
            found = Processes.children(of: process.processIdentifier)
            return found.count == 1
        }
        guard found.count == 1 else { throw TestError("unshare has children \(found)") }
        return found[0]
    }

    /// The innermost pid of a host pid (`NSpid:` in /proc/PID/status).
    func namespacePid(of pid: Int32) -> Int32? {
        guard let s = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = s.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") }) else { return nil }
        return line.split(whereSeparator: { $0 == " " || $0 == "\t" }).last.flatMap { Int32($0) }
    }

    struct Child: CustomStringConvertible {
        let pid: Int32, name: String, state: String
        var description: String { "\(pid) \(name) \(state)" }
    }

    /// Children of a host pid with their command name and state (Z = zombie).
    func children(of pid: Int32) -> [Child] {
        Processes.children(of: pid).compactMap { child in
            Processes.stat(of: child).map { Child(pid: child, name: $0.name, state: $0.state) }
        }
    }

    /// `nsenter` arguments that run `command` inside the namespace (as `kubectl exec` does),
    /// from the image's root.
    private func inside(_ command: [String]) throws -> [String] {
        ["--target", "\(try initPid())", "--pid", "--mount", "--wd=\(root.path)", "--"] + command
    }

    func spawn(_ command: [String]) throws -> Tool { try Tool("nsenter", try inside(command)) }

    /// Runs a command inside the namespace to completion: (status, output).
    func exec(_ command: [String], timeout: TimeInterval = 10) throws -> (Int32?, String) {
        try Tool.run("nsenter", try inside(command), timeout: timeout)
    }

    /// The exit status of the unshare process (its child's), or nil on timeout.
    func waitExit(timeout: TimeInterval) -> Int32? {
        guard Deadline.wait(timeout: timeout, { !process.isRunning }) else { return nil }
        return process.terminationStatus
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: root)
    }
}
