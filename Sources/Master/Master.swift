import Core
import Glibc
import Protocol
import System

/// The master process, nginx style: parses the config, binds every listener once, spawns the
/// workers (posix_spawn of this binary) and hands them config and listeners over a channel,
/// relays signals, respawns a worker that died, keeps the registry of which worker publishes
/// which stream, and answers API gathers. It never touches media.
///
/// This class is the I/O: the loop, the sockets, the processes. What to do about each event is
/// decided by `MasterStateMachine`; `perform` carries its actions out.
public final class Master {
    let loop: EventLoop
    var config: ServerConfig
    /// The config as the workers get it (includes spliced in).
    var configText: String
    /// The config file, nil with `-e`.
    let configPath: String?
    let environment: [String: String]
    /// This executable as started: what workers (and upgrades) run.
    let executable: String
    let arguments: [String]
    let identity: ServerIdentity
    /// Listening sockets the master owns, by what they serve. A listener dropped from here
    /// closes once no queued message to a worker still carries it.
    var listeners: [ListenerSpec: FileDescriptor] = [:]
    /// The SRT slot of each worker that has one (see `Master+SRT.swift`).
    var srtSlotOf: [pid_t: Int] = [:]
    /// Every worker's client connections, in shared memory, so `max_connections` holds for the
    /// whole server (see `ConnectionQuota`); nil if it could not be created.
    var connectionTable: SharedCounters?
    /// Each worker's channel.
    var channels: [pid_t: MessageChannel] = [:]
    var machine: MasterStateMachine
    /// The config file's directory watch (auto reload), and the debounce of its events.
    var configWatcher: DirectoryWatcher?
    var pendingReload = 0
    /// Whether we run in a container (auto reload defaults on there).
    public var inContainer = false
    /// Called once the listeners are bound and the workers started (the daemon's launcher returns then).
    public var onListening: (() -> Void)?
    var signals: SignalSource?
    /// True after a re-exec: listeners and workers were adopted, not made.
    var resumed = false
    /// The ingests' ffmpegs: children of the master, once per server.
    lazy var ingest = IngestSupervisor(loop: loop, environment: environment)
    /// Reloads done and refused (the exporter's counters).
    var counters = MasterCounters()

    /// What `srs` exits with: 1 when the workers could not run.
    public var exitCode: Int32 { machine.exitCode }

    public init(config: ServerConfig, directives: [ConfigDirective], configPath: String?,
                environment: [String: String], identity: ServerIdentity? = nil, generation: Int = 1) throws {
        loop = try EventLoop()
        self.config = config
        self.configText = ConfigDirective.render(directives)
        self.configPath = configPath
        self.environment = environment
        executable = Spawn.executablePath()
        arguments = CommandLine.arguments
        self.identity = identity ?? .starting(config, pid: getpid())
        machine = MasterStateMachine(settings: .init(config), executable: executable, generation: generation)
    }

    /// Binds the listeners, starts the workers, runs until every worker is gone after a quit.
    public func run() throws {
        ProcessTitle.set("srs: master process \(arguments.joined(separator: " "))")
        if !resumed {
            for spec in ListenerSpec.all(for: config) + srtSlotSpecs(for: config) { listeners[spec] = try bind(spec) }
        }
        if connectionTable == nil {
            do {
                connectionTable = try SharedCounters.create(rows: ConnectionTable.rows, name: "swiftsrs-connections")
            } catch {
                Log.error("master: no shared connection table (\(error)); each worker takes its share of max_connections")
            }
        }
        signals = try SignalSource(signals: [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD], loop: loop) {
            [unowned self] sig in drive { $0.signal(sig) }
        }
        watchConfig(inContainer: inContainer)
        Log.trace("signal installed, reload=\(SIGHUP), reopen=\(SIGUSR1), fast_quit=\(SIGTERM), grace_quit=\(SIGQUIT), upgrade=\(SIGUSR2)")
        if resumed {
            Log.trace("master \(getpid()) re-executed as \(Version.server), \(machine.workers.count) workers adopted")
            // Workers that ended while we were exec'ing are reaped now (their SIGCHLD is pending too).
            perform([.reap])
        } else {
            let n = machine.settings.workers
            Log.trace("master \(getpid()) starts \(n) worker\(n == 1 ? "" : "s"), executable=\(executable)")
            // A worker that cannot be started fails the start.
            for _ in 0..<n { machine.workerSpawned(try spawnWorker(generation: machine.generation), for: .start) }
        }
        ingest.apply(config)
        onListening?()
        onListening = nil
        loop.run()
        listeners.removeAll()
        // What watches fds on the loop goes before the loop does.
        signals = nil
        configWatcher = nil
        channels.removeAll()
    }

    func bind(_ spec: ListenerSpec) throws -> FileDescriptor {
        if spec.srtSlot != nil { return try bindSRTSlot(spec) }
        let fd = try TCPListener.bind(host: spec.address.host, port: spec.address.port, reusePort: true)
        Log.trace("master listen at tcp://\(spec.address) (\(spec.kind)), fd=\(fd)")
        return fd
    }

    // MARK: - Performing the machine's actions

    /// Tells the machine of an event and performs what it decides. The machine's view of the
    /// master's own children (the ingests) is brought up to date first.
    func drive(_ event: (inout MasterStateMachine) -> [MasterStateMachine.Action]) {
        machine.ingestsIdle = ingest.isIdle
        perform(event(&machine))
    }

    func perform(_ actions: [MasterStateMachine.Action]) {
        for action in actions {
            switch action {
            case .log(let level, let line):
                Log.log(level, line)
            case .spawn(let count, let generation, let purpose):
                spawn(count, generation: generation, for: purpose)
            case .signal(let pid, let sig):
                Spawn.kill(pid, sig)
            case .send(let message, let pids):
                let bytes = message.encode()
                for pid in pids { channels[pid]?.send(bytes) }
            case .forget(let pid, let row):
                channels.removeValue(forKey: pid)?.close()
                srtSlotOf.removeValue(forKey: pid)
                // Its clients are gone with it: the server has room for them again.
                if let row, let table = connectionTable { ConnectionTable.releaseRow(row, in: table) }
            case .closeListeners:
                listeners.removeAll()
            case .stopIngests:
                // The master may exit once they are gone too.
                ingest.stopAll { [weak self] in self?.drive { $0.exitIfDone() } }
            case .schedule(let timer, let ms):
                loop.schedule(afterMs: ms) { [weak self] in
                    guard let self else { return }
                    drive { $0.timerFired(timer) }
                }
            case .reload:
                reload()
            case .reopenLog:
                Log.reopen()
            case .reap:
                for exit in Spawn.reap() {
                    // A child that is not a worker is an ingest's ffmpeg.
                    if machine.workers[exit.pid] == nil {
                        ingest.reaped(exit)
                    } else {
                        drive { $0.workerExited(exit, now: loop.now) }
                    }
                }
            case .reexec:
                reexec()
            case .exit:
                loop.stop()
            }
        }
    }

    /// Starts `count` workers of `generation`; tells the machine of each, then of the batch (an
    /// upgrade stops at the first failure, which rolls it back).
    private func spawn(_ count: Int, generation: Int, for purpose: MasterStateMachine.SpawnPurpose) {
        var started = 0
        var failures: [String] = []
        for _ in 0..<count {
            do {
                machine.workerSpawned(try spawnWorker(generation: generation), for: purpose)
                started += 1
            } catch {
                failures.append("\(error)")
                if purpose == .upgrade { break }
            }
        }
        drive { $0.spawnFinished(purpose, started: started, failures: failures) }
    }

    /// Starts one worker and sends it the config and listeners.
    private func spawnWorker(generation: Int) throws -> MasterStateMachine.Worker {
        let (mine, theirs) = try MessageChannel.socketPair()
        var env = environment
        env[WorkerProcess.environmentKey] = "\(generation)"
        let pid = try Spawn.process(path: executable, arguments: arguments, environment: env, channel: theirs,
                                    blockedSignals: WorkerProcess.signals)
        // The worker has its copy of its end now.
        theirs.close()
        let channel = try adopt(pid: pid, channel: mine)
        var w = MasterStateMachine.Worker(pid: pid, generation: generation, startedMs: loop.now)
        let slot = freeSRTSlot(generation: generation)
        if let slot { srtSlotOf[pid] = slot }
        let specs = Self.listeners(Array(listeners.keys), forSlot: slot)
        var fds = specs.compactMap { listeners[$0] }
        if let table = connectionTable, let tableFD = table.fd {
            w.quotaRow = ConnectionTable.claimRow(in: table, pid: pid, taken: Set(machine.workers.values.compactMap(\.quotaRow)))
            if w.quotaRow == nil { Log.warn("master: connection table full, worker \(pid) takes its share of max_connections") }
            if w.quotaRow != nil { fds.append(tableFD) }
        }
        channel.send(ControlMessage.configure(config: configText, listeners: specs, reload: false, identity: identity,
                                              quotaRow: w.quotaRow).encode(), fds: fds)
        Log.trace("master spawned worker \(pid), generation \(generation)")
        return w
    }

    /// Listens on a worker's channel.
    func adopt(pid: pid_t, channel fd: FileDescriptor) throws -> MessageChannel {
        let channel = try MessageChannel(fd: fd, loop: loop)
        channels[pid] = channel
        channel.onMessage = { [unowned self] bytes in
            guard let m = ControlMessage.decode(bytes) else {
                Log.warn("master: unknown message from worker \(pid) ignored")
                return
            }
            // The master answers for what it runs itself: the ingests; and for its workers.
            var own: JSONValue?
            if case .gather(_, .processes) = m { own = ingest.json }
            if case .gather(_, .summary) = m { own = statsPart }
            if case .gather(_, .metrics) = m { own = statsPart }
            drive { $0.message(m, from: pid, masterPart: own) }
        }
        channel.onClose = { [weak self] in
            guard let self else { return }
            drive { $0.channelClosed(pid) }
        }
        return channel
    }
}
