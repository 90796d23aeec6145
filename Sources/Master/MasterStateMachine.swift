import Core
import Glibc
import Protocol
import System

/// The master's decisions, without I/O: which workers exist and of which generation, when one
/// is started again and after how long, what a signal means, how a quit proceeds, when a hot
/// upgrade completes or rolls back, who publishes which stream, and which API gathers wait for
/// whom. Each event (a signal, a worker's exit or message, a timer) is a mutating method that
/// returns the actions the `Master` performs: spawn, signal, send, close listeners, stop the
/// ingests, schedule a timer (reported back with `timerFired`), re-exec, exit, and the log
/// lines. Tested without processes (`MasterTests`), with the time passed in.
struct MasterStateMachine {
    /// A worker process as the master knows it.
    struct Worker: Equatable {
        let pid: pid_t
        let generation: Int
        /// Monotonic ms of its start (the youngest are retired first).
        let startedMs: Int64
        /// Its relay socket, set once it serves (its `ready`).
        var relay: String?
        /// Told to quit (graceful quit, upgrade, fewer workers): not respawned when it exits.
        var retiring = false
        /// Its row in the connection table (nil: none, e.g. adopted from an older master).
        var quotaRow: Int?

        var isReady: Bool { relay != nil }
    }

    enum Quit: Equatable { case graceful, fast }

    /// Why workers are spawned (what a failure means).
    enum SpawnPurpose: Equatable {
        /// The master's start (spawned by `Master.run`: a failure fails the start).
        case start
        /// A worker died: replace it.
        case respawn
        /// `worker_processes` grew (or the pool is short).
        case resize
        /// A hot upgrade's new generation: a failure rolls the upgrade back.
        case upgrade
    }

    /// Timers the master runs for the machine; it reports each with `timerFired` when due.
    /// Timers are never cancelled: one that no longer applies finds nothing to do.
    enum Timer: Equatable, Hashable {
        /// A graceful quit's `grace_start_wait` is over: the master closes its listeners.
        case closeListeners
        /// A fast quit's workers had their time: kill what is left.
        case killStragglers
        /// Start a worker in place of one that died.
        case respawn
        /// The new generation of an upgrade must be ready by now.
        case upgradeDeadline(generation: Int)
        /// An API gather answers with what it has.
        case gatherDeadline(id: Int)
    }

    enum Action: Equatable {
        case log(LogLevel, String)
        /// Start `count` workers of `generation`, then report each (`workerSpawned`) and the
        /// batch (`spawnFinished`).
        case spawn(count: Int, generation: Int, purpose: SpawnPurpose)
        case signal(pid_t, Int32)
        case send(ControlMessage, to: [pid_t])
        /// A worker is gone: close its channel, free its connection table row.
        case forget(pid_t, quotaRow: Int?)
        case closeListeners
        /// Stop the ingests' ffmpegs (the master's own children); `ingestsIdle` says when they
        /// are gone.
        case stopIngests
        case schedule(Timer, afterMs: Int64)
        /// Read the config file again (`Master.reload`).
        case reload
        case reopenLog
        /// Reap the children that ended and report each (`workerExited`).
        case reap
        /// Replace the master's image by the binary on disk, keeping workers and listeners.
        case reexec
        /// Every worker is gone after a quit: stop (exit with `exitCode`).
        case exit
    }

    /// What the machine takes from the config.
    struct Settings: Equatable {
        /// Workers to run (`worker_processes`).
        var workers = 1
        var graceStartWaitMs: Int64 = 2300
        var forceGraceQuit = false

        init() {}

        init(_ config: ServerConfig) {
            switch config.workerProcesses {
            case .count(let n): workers = n
            case .auto: workers = CPUBudget.current
            }
            graceStartWaitMs = Int64(config.graceStartWaitMs)
            forceGraceQuit = config.forceGraceQuit
        }
    }

    /// A worker exiting sooner than this after its start counts as a crash for the backoff.
    static let crashWindowMs: Int64 = 60_000
    /// Fast quit: workers still alive this long after SIGTERM get SIGKILL.
    static let fastQuitKillMs: Int64 = 5000
    /// New workers must report ready within this, or the upgrade rolls back.
    static let upgradeTimeoutMs: Int64 = 15_000
    /// How long a gather waits for slow workers before answering with what it has.
    static let gatherTimeoutMs: Int64 = 1000

    var settings: Settings
    /// The binary workers and upgrades run (for log lines).
    let executable: String
    private(set) var workers: [pid_t: Worker] = [:]
    private(set) var generation = 1
    private(set) var quitting: Quit?
    /// A hot upgrade waiting for its new workers.
    private(set) var upgrade: Upgrade?
    /// Hot upgrades rolled back (kept across the master's re-exec by `ReexecState`).
    var upgradeFailures = 0
    /// Unexpected worker exits in the last minute, for the respawn backoff.
    private(set) var recentCrashes: [Int64] = []
    /// Who publishes what.
    var streams: [StreamKey: PublishedStream] = [:]
    var gathers: [Int: Gather] = [:]
    var nextGatherID = 1
    /// What `srs` exits with: 1 when the workers could not run.
    private(set) var exitCode: Int32 = 0
    private var exited = false
    /// Whether the master's own children (the ingests' ffmpegs) are all gone; kept up to date
    /// by the `Master` (a quit ends only once they are).
    var ingestsIdle = true

    struct Upgrade: Equatable {
        var generation: Int
        var newWorkers: Set<pid_t> = []
    }

    /// An API question asked by one worker and answered by all.
    struct Gather: Equatable {
        var asker: pid_t
        var askerID: Int
        var waiting: Set<pid_t>
        var parts: [JSONValue]
    }

    init(settings: Settings, executable: String, generation: Int = 1) {
        self.settings = settings
        self.executable = executable
        self.generation = generation
    }

    // MARK: - Workers

    /// Workers not told to quit.
    var activeWorkers: [Worker] { workers.values.filter { !$0.retiring } }
    /// Workers that serve (reported ready).
    var readyWorkers: [pid_t] { workers.values.filter(\.isReady).map(\.pid) }

    /// A worker now runs: spawned for `purpose`, or adopted after a re-exec (nil).
    mutating func workerSpawned(_ w: Worker, for purpose: SpawnPurpose?) {
        workers[w.pid] = w
        if purpose == .upgrade { upgrade?.newWorkers.insert(w.pid) }
    }

    /// A worker serves, and siblings pull its streams from `relay`.
    mutating func setRelay(_ relay: String, of pid: pid_t) { workers[pid]?.relay = relay }

    /// A batch of spawns ended; `failures` describes those that failed.
    mutating func spawnFinished(_ purpose: SpawnPurpose, started: Int, failures: [String]) -> [Action] {
        switch purpose {
        case .start:
            return []
        case .respawn:
            return failures.map { .log(.error, "master: respawn failed: \($0)") }
        case .resize:
            return failures.map { .log(.error, "master: spawn failed: \($0)") }
        case .upgrade:
            guard let u = upgrade else { return [] }
            if let failure = failures.first { return rollBack("cannot start \(executable): \(failure)") }
            return [.schedule(.upgradeDeadline(generation: u.generation), afterMs: Self.upgradeTimeoutMs),
                    .log(.trace, "upgrade: started \(started) workers of generation \(u.generation) from \(executable)")]
        }
    }

    /// A child ended (reaped).
    mutating func workerExited(_ exit: Spawn.Exit, now: Int64) -> [Action] {
        guard let w = workers.removeValue(forKey: exit.pid) else { return [] }
        var out: [Action] = [.forget(w.pid, quotaRow: w.quotaRow)]
        out += forgetStreams(of: w.pid)
        out += abandonGathers(of: w.pid)
        out += decideAfterExit(w, exit, now: now)
        return out + exitIfDone()
    }

    private mutating func decideAfterExit(_ w: Worker, _ exit: Spawn.Exit, now: Int64) -> [Action] {
        if let u = upgrade, u.newWorkers.contains(w.pid) { return rollBack("new worker \(w.pid) exited (\(exit))") }
        if w.retiring || quitting != nil { return [.log(.trace, "master: worker \(w.pid) quit (\(exit))")] }
        if exit.code == WorkerProcess.fatalExitCode {
            var out: [Action] = [.log(.error, "master: worker \(w.pid) exited with fatal code \(WorkerProcess.fatalExitCode), not respawned")]
            if workers.values.allSatisfy(\.retiring) {
                out.append(.log(.error, "master: no worker left, quit"))
                quitting = .fast
                exitCode = 1
            }
            return out
        }
        recentCrashes = recentCrashes.filter { now - $0 < Self.crashWindowMs } + [now]
        return [.log(.warn, "master: worker \(w.pid) died (\(exit)), respawn"),
                .schedule(.respawn, afterMs: Self.respawnDelayMs(crashesInWindow: recentCrashes.count))]
    }

    /// The first crash is respawned at once; a worker that keeps dying waits longer each time:
    /// 100 ms doubling up to 5 s.
    static func respawnDelayMs(crashesInWindow n: Int) -> Int64 {
        n <= 1 ? 0 : min(5000, Int64(100) << min(n - 2, 6))
    }

    /// A worker's channel closed: it is exiting (its SIGCHLD reaps it).
    func channelClosed(_ pid: pid_t) -> [Action] {
        guard let w = workers[pid], !w.retiring, quitting == nil else { return [] }
        return [.log(.trace, "master: worker \(pid) closed its channel")]
    }

    /// `worker_processes` changed (or a worker is missing): start the missing workers or retire
    /// the youngest extra ones.
    mutating func resize() -> [Action] {
        let active = activeWorkers
        let want = settings.workers
        if active.count < want { return [.spawn(count: want - active.count, generation: generation, purpose: .resize)] }
        var out: [Action] = []
        for w in active.sorted(by: { $0.startedMs > $1.startedMs }).prefix(active.count - want) {
            out.append(.log(.trace, "master: retire worker \(w.pid) (worker_processes \(want))"))
            workers[w.pid]?.retiring = true
            out.append(.signal(w.pid, SIGQUIT))
        }
        return out
    }

    // MARK: - Signals and timers

    /// What a signal (read from the master's signalfd) means.
    mutating func signal(_ sig: Int32) -> [Action] {
        switch sig {
        case SIGCHLD:
            return [.reap]
        case SIGQUIT:
            return [.log(.trace, "sig=\(sig), user start gracefully quit")] + gracefulQuit()
        case SIGTERM where settings.forceGraceQuit:
            // K8s sends TERM; with force_grace_quit it means graceful, and a second TERM cannot cut it short.
            return [.log(.trace, "force gracefully quit, signo=\(sig)")] + gracefulQuit()
        case SIGTERM, SIGINT:
            return [.log(.trace, "sig=\(sig), user terminate program, fast quit")] + fastQuit()
        case SIGHUP:
            return [.log(.trace, "sig=\(sig), user reload config"), .reload]
        case SIGUSR1:
            return [.reopenLog, .log(.trace, "sig=\(sig), reopen log file")] + workers.keys.map { .signal($0, SIGUSR1) }
        case SIGUSR2:
            return [.log(.trace, "sig=\(sig), user start hot upgrade")] + startUpgrade()
        default:
            return []
        }
    }

    /// SIGQUIT (or TERM with force_grace_quit): every worker drains as SRS does; the master
    /// closes its copies of the listeners when the workers close theirs (after grace_start_wait),
    /// and stops the ingests then (they publish until the listeners close, and their players
    /// are let go like others'); it exits when the last worker and ingest are gone.
    mutating func gracefulQuit() -> [Action] {
        guard quitting == nil else { return [] }
        quitting = .graceful
        var out: [Action] = []
        for pid in workers.keys {
            workers[pid]?.retiring = true
            out.append(.signal(pid, SIGQUIT))
        }
        out.append(.schedule(.closeListeners, afterMs: settings.graceStartWaitMs))
        return out + exitIfDone()
    }

    /// SIGTERM/SIGINT: workers close everything now; stragglers are killed.
    mutating func fastQuit() -> [Action] {
        if quitting == .fast { return [] }
        quitting = .fast
        var out: [Action] = [.stopIngests, .closeListeners]
        for pid in workers.keys {
            workers[pid]?.retiring = true
            out.append(.signal(pid, SIGTERM))
        }
        out.append(.schedule(.killStragglers, afterMs: Self.fastQuitKillMs))
        return out + exitIfDone()
    }

    mutating func timerFired(_ t: Timer) -> [Action] {
        switch t {
        case .closeListeners:
            return [.closeListeners, .stopIngests]
        case .killStragglers:
            return workers.keys.flatMap { pid -> [Action] in
                [.log(.warn, "master: worker \(pid) still alive \(Self.fastQuitKillMs)ms after TERM, kill it"), .signal(pid, SIGKILL)]
            }
        case .respawn:
            guard quitting == nil else { return [] }
            return [.spawn(count: 1, generation: generation, purpose: .respawn)]
        case .upgradeDeadline(let g):
            guard upgrade?.generation == g else { return [] }
            return rollBack("new workers not ready within \(Self.upgradeTimeoutMs)ms")
        case .gatherDeadline(let id):
            guard let g = gathers[id] else { return [] }
            return [.log(.warn, "master: api gather timed out waiting for workers \(g.waiting.sorted())")] + finishGather(id)
        }
    }

    /// After a quit, once the last worker and ingest are gone: exit (once).
    mutating func exitIfDone() -> [Action] {
        guard let q = quitting, workers.isEmpty, ingestsIdle, !exited else { return [] }
        exited = true
        return [.log(.trace, q == .graceful ? "srs gracefully quit" : "srs fast quit"), .exit]
    }
}

extension MasterStateMachine {
    // MARK: - Hot upgrade

    /// SIGUSR2: start workers from the binary now on disk; once they all serve, the old ones
    /// stop accepting and drain, and the master re-executes itself. If the new workers fail, the
    /// old ones never stopped: nothing is dropped, and the failure is logged.
    mutating func startUpgrade() -> [Action] {
        guard quitting == nil else { return [] }
        guard upgrade == nil else { return [.log(.warn, "upgrade: already in progress")] }
        generation += 1
        upgrade = Upgrade(generation: generation)
        return [.spawn(count: settings.workers, generation: generation, purpose: .upgrade)]
    }

    /// A worker reported ready: when it completes an upgrade's new generation, retire the old one
    /// and re-execute the master.
    mutating func upgradeWorkerReady(_ pid: pid_t) -> [Action] {
        guard let u = upgrade, u.newWorkers.contains(pid) else { return [] }
        guard u.newWorkers.allSatisfy({ workers[$0]?.isReady == true }) else { return [] }
        upgrade = nil
        let old = workers.values.filter { $0.generation < generation && !$0.retiring }
        var out: [Action] = []
        for o in old {
            workers[o.pid]?.retiring = true
            out.append(.signal(o.pid, SIGWINCH))
        }
        return out + [.log(.trace, "upgrade: generation \(generation) ready, \(old.count) old workers drain"), .reexec]
    }

    private mutating func rollBack(_ reason: String) -> [Action] {
        guard let u = upgrade else { return [] }
        upgrade = nil
        upgradeFailures += 1
        var out: [Action] = []
        for pid in u.newWorkers where workers[pid] != nil {
            workers[pid]?.retiring = true
            out.append(.signal(pid, SIGTERM))
        }
        return out + [.log(.error, "upgrade failed, rolled back, the running workers keep serving: \(reason)")]
    }
}
