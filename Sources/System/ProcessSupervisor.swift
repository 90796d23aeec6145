import Glibc
import Kernel

/// Child processes kept running (an ingest's or a transcode's ffmpeg, an exec'd program): each
/// is started from its argv (no shell), restarted with `RestartBackoff` when it ends, and
/// stopped with SIGTERM to its process group, then SIGKILL after `killAfterMs` (SRS: 1 s).
/// Every start is logged with its command line, every end with its exit status and what
/// happens next.
///
/// The owner reaps (it owns SIGCHLD: a master also has workers) and hands each exit to
/// `reaped(_:)`. A child started again under the id of one still stopping waits until that one
/// is gone, so two copies never run at once.
public final class ProcessSupervisor {
    /// Where a child is.
    public enum State: String, Sendable {
        /// Its process runs.
        case running
        /// It ended (or could not start) and starts again after its backoff, or after the
        /// previous copy is gone.
        case waiting
        /// Told to stop: its process has not ended yet.
        case stopping
    }

    /// One child as the API shows it.
    public struct Info: Sendable {
        public var id: String
        public var label: String
        public var state: State
        public var pid: pid_t?
        public var commandLine: String
        public var stdoutPath: String?
        /// Wall clock of its current process's start.
        public var startedWallMs: Int64?
        /// Processes started for it so far.
        public var starts: Int
        /// How its last process ended (`exit code 1`, `killed by signal 9`), if one did.
        public var lastExit: String?
        /// When waiting: milliseconds until it starts again.
        public var restartInMs: Int64?
    }

    /// A running child carried across the master's re-exec.
    public struct Carried: Sendable {
        public var id: String
        public var pid: pid_t
        public var startedMs: Int64
        public var starts: Int
        public var stopping: Bool

        public init(id: String, pid: pid_t, startedMs: Int64, starts: Int, stopping: Bool) {
            self.id = id
            self.pid = pid
            self.startedMs = startedMs
            self.starts = starts
            self.stopping = stopping
        }
    }

    private final class Child {
        let id: String
        let label: String
        let command: ChildCommand
        var state = State.waiting
        var pid: pid_t?
        var startedMs: Int64 = 0
        var startedWallMs: Int64?
        var starts = 0
        var lastExit: String?
        var backoff: RestartBackoff
        var restartTimer: TimerID?
        var restartAtMs: Int64?
        var killTimer: TimerID?

        init(id: String, label: String, command: ChildCommand, backoff: RestartBackoff) {
            self.id = id
            self.label = label
            self.command = command
            self.backoff = backoff
        }
    }

    /// SIGKILL this long after SIGTERM (SRS's `SRS_PROCESS_QUIT_TIMEOUT_MS`).
    public var killAfterMs: Int64 = 1000
    /// The backoff every new child starts with.
    public var backoff = RestartBackoff()
    /// Runs when the last child process is gone (after `stopAll`, for a quit).
    public var onIdle: (() -> Void)?

    private let loop: EventLoop
    private let environment: [String: String]
    private let clientCaused: Bool
    /// Children by id (running or waiting); ones told to stop move to `stopping`.
    private var children: [String: Child] = [:]
    private var stopping: [pid_t: Child] = [:]

    /// `clientCaused`: a client can start and stop these at will (a worker's per-stream
    /// children): their lines share the client log budget instead of being written always.
    public init(loop: EventLoop, environment: [String: String], clientCaused: Bool) {
        self.loop = loop
        self.environment = environment
        self.clientCaused = clientCaused
    }

    /// Whether a child of that id is kept running.
    public func contains(_ id: String) -> Bool { children[id] != nil }

    /// True when no child process is alive (none running, none stopping).
    public var isIdle: Bool { stopping.isEmpty && !children.values.contains { $0.pid != nil } }

    /// Starts `command` as child `id` (after the previous copy of `id` is gone, if one is
    /// stopping) and keeps it running until `stop(id)`. A child of that id already kept is
    /// left as it is.
    public func start(id: String, label: String, command: ChildCommand) {
        guard children[id] == nil else { return }
        let c = Child(id: id, label: label, command: command, backoff: backoff)
        children[id] = c
        if !stopping.values.contains(where: { $0.id == id }) { spawn(c) }
    }

    /// Takes over a child process started before this process re-executed itself.
    public func adopt(_ carried: Carried, label: String, command: ChildCommand) {
        let c = Child(id: carried.id, label: label, command: command, backoff: backoff)
        c.pid = carried.pid
        c.state = .running
        c.startedMs = carried.startedMs
        c.starts = carried.starts
        log("\(label): adopted pid=\(carried.pid) after re-exec")
        if carried.stopping {
            c.state = .stopping
            stopping[carried.pid] = c
            terminate(c)
        } else {
            children[carried.id] = c
        }
    }

    /// What to carry across a re-exec: every child process alive.
    public var carried: [Carried] {
        children.values.compactMap { c in
            c.pid.map { Carried(id: c.id, pid: $0, startedMs: c.startedMs, starts: c.starts, stopping: false) }
        } + stopping.values.compactMap { c in
            c.pid.map { Carried(id: c.id, pid: $0, startedMs: c.startedMs, starts: c.starts, stopping: true) }
        }
    }

    /// Stops child `id`: SIGTERM to its group now, SIGKILL if it is still alive `killAfterMs`
    /// later. A child waiting to restart is just forgotten.
    public func stop(_ id: String, reason: String) {
        guard let c = children.removeValue(forKey: id) else { return }
        if let t = c.restartTimer { loop.cancel(t) }
        c.restartTimer = nil
        guard let pid = c.pid else { return }
        log("\(c.label): stop pid=\(pid) (\(reason))")
        c.state = .stopping
        stopping[pid] = c
        terminate(c)
    }

    /// Stops every child (quit). `onIdle` runs once they are all gone.
    public func stopAll(reason: String) {
        for id in Array(children.keys) { stop(id, reason: reason) }
        notifyIfIdle()
    }

    /// The ids of the children kept running.
    public var ids: [String] { Array(children.keys) }

    /// A child process ended: restart it after its backoff, or forget it if it was told to
    /// stop. False when the pid is not one of ours.
    @discardableResult
    public func reaped(_ exit: Spawn.Exit) -> Bool {
        if let c = stopping.removeValue(forKey: exit.pid) {
            if let t = c.killTimer { loop.cancel(t) }
            log("\(c.label): pid=\(exit.pid) stopped (\(exit))")
            // A new copy waiting for this one to go starts now.
            if let next = children[c.id], next.pid == nil, next.restartTimer == nil { spawn(next) }
            notifyIfIdle()
            return true
        }
        guard let c = children.values.first(where: { $0.pid == exit.pid }) else { return false }
        let ranMs = loop.now - c.startedMs
        c.pid = nil
        c.lastExit = exit.description
        let delay = c.backoff.ended(runMs: ranMs)
        let streak = c.backoff.failures > 1 ? ", backoff: \(c.backoff.failures) short runs in a row" : ""
        warn("\(c.label): pid=\(exit.pid) \(exit) after \(ranMs)ms, restart in \(delay)ms\(streak)")
        scheduleRestart(c, afterMs: delay)
        return true
    }

    /// Every child, for the API (one still stopping too).
    public var infos: [Info] {
        (Array(children.values) + Array(stopping.values)).sorted { $0.id < $1.id }.map(info)
    }

    /// The info of child `id` (the one kept running, else one stopping).
    public func info(_ id: String) -> Info? {
        (children[id] ?? stopping.values.first { $0.id == id }).map(info)
    }

    private func info(_ c: Child) -> Info {
        Info(id: c.id, label: c.label, state: c.state, pid: c.pid, commandLine: c.command.commandLine,
             stdoutPath: c.command.stdoutPath, startedWallMs: c.pid == nil ? nil : c.startedWallMs, starts: c.starts,
             lastExit: c.lastExit, restartInMs: c.restartAtMs.map { max(0, $0 - loop.now) })
    }

    // MARK: - Processes

    private func spawn(_ c: Child) {
        c.restartTimer = nil
        c.restartAtMs = nil
        let wall = Clock.wallMs()
        let header = "\n[\(wall)] srs pid=\(getpid()) starts \(c.label): \(c.command.commandLine)\n"
        do {
            let pid = try ChildProcess.spawn(c.command, environment: environment, header: header)
            c.pid = pid
            c.state = .running
            c.startedMs = loop.now
            c.startedWallMs = wall
            c.starts += 1
            log("\(c.label): started pid=\(pid), log=\(c.command.stdoutPath ?? "/dev/null"): \(c.command.commandLine)")
        } catch {
            c.lastExit = "\(error)"
            let delay = c.backoff.ended(runMs: 0)
            warn("\(c.label): cannot start \(c.command.program): \(error), retry in \(delay)ms")
            scheduleRestart(c, afterMs: delay)
        }
    }

    private func scheduleRestart(_ c: Child, afterMs delay: Int64) {
        c.state = .waiting
        c.restartAtMs = loop.now + delay
        c.restartTimer = loop.schedule(afterMs: delay) { [weak self, weak c] in
            guard let self, let c, self.children[c.id] === c else { return }
            self.spawn(c)
        }
    }

    private func terminate(_ c: Child) {
        guard let pid = c.pid else { return }
        ChildProcess.signal(pid, SIGTERM)
        c.killTimer = loop.schedule(afterMs: killAfterMs) { [weak self, weak c] in
            guard let self, let c, self.stopping[pid] === c else { return }
            self.warn("\(c.label): pid=\(pid) still alive \(self.killAfterMs)ms after SIGTERM, kill it")
            ChildProcess.signal(pid, SIGKILL)
        }
    }

    private func notifyIfIdle() {
        guard isIdle, let cb = onIdle else { return }
        onIdle = nil
        cb()
    }

    private func log(_ s: String) {
        if clientCaused { Log.traceClient("child process", s) } else { Log.trace(s) }
    }

    private func warn(_ s: String) {
        if clientCaused { Log.warnRepeated("child process ended", s) } else { Log.warn(s) }
    }
}
