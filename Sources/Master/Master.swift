import Core
import Glibc
import Protocol
import System

/// The master process, nginx style: parses the config, binds every listener once, spawns the
/// workers (posix_spawn of this binary) and hands them config and listeners over a channel,
/// relays signals, respawns a worker that died, keeps the registry of which worker publishes
/// which stream, and answers API gathers. It never touches media.
public final class Master {
    /// One worker process as the master sees it.
    final class Worker {
        let pid: pid_t
        let channel: MessageChannel
        let generation: Int
        let startedMs: Int64
        /// Set once it serves its listeners (its `ready`).
        var relay: String?
        /// Told to quit (graceful quit, upgrade): not respawned when it exits.
        var retiring = false
        /// Its row in the connection table (nil: none, e.g. adopted from an older master).
        var quotaRow: Int?

        init(pid: pid_t, channel: MessageChannel, generation: Int, startedMs: Int64) {
            self.pid = pid
            self.channel = channel
            self.generation = generation
            self.startedMs = startedMs
        }

        var isReady: Bool { relay != nil }
    }

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
    /// Every worker's client connections, in shared memory, so `max_connections` holds for the
    /// whole server (see `ConnectionQuota`); nil if it could not be created.
    var connectionTable: SharedCounters?
    var workers: [pid_t: Worker] = [:]
    var generation = 1
    /// Who publishes what: stream key → owner.
    var streams: [StreamKey: PublishedStream] = [:]
    var gathers: [Int: Gather] = [:]
    var nextGatherID = 1
    var quitting: Quit?
    /// A hot upgrade waiting for its new workers.
    var upgrading: Upgrade?
    /// The config file's directory watch (auto reload), and the debounce of its events.
    var configWatcher: DirectoryWatcher?
    var pendingReload = 0
    /// Whether we run in a container (auto reload defaults on there).
    public var inContainer = false
    /// Called once the listeners are bound and the workers started (the daemon's launcher returns then).
    public var onListening: (() -> Void)?
    /// Unexpected worker exits in the last minute, for the respawn backoff.
    var recentCrashes: [Int64] = []
    var signals: SignalSource?
    /// What `srs` exits with: 1 when the workers could not run.
    public internal(set) var exitCode: Int32 = 0

    enum Quit { case graceful, fast }

    /// An API question asked by one worker and answered by all.
    struct Gather {
        var asker: pid_t
        var askerID: Int
        var waiting: Set<pid_t>
        var parts: [JSONValue]
        var timer: TimerID
    }

    /// True after a re-exec: listeners and workers were adopted, not made.
    var resumed = false
    /// The ingests' ffmpegs: children of the master, once per server.
    lazy var ingest = IngestSupervisor(loop: loop, environment: environment)

    public init(config: ServerConfig, directives: [ConfigDirective], configPath: String?,
                environment: [String: String], identity: ServerIdentity? = nil) throws {
        loop = try EventLoop()
        self.config = config
        self.configText = ConfigDirective.render(directives)
        self.configPath = configPath
        self.environment = environment
        executable = Spawn.executablePath()
        arguments = CommandLine.arguments
        self.identity = identity ?? .starting(config, pid: getpid())
    }

    /// How many workers the config asks for.
    var workerCount: Int {
        switch config.workerProcesses {
        case .count(let n): return n
        case .auto: return CPUBudget.current
        }
    }

    /// Binds the listeners, starts the workers, runs until every worker is gone after a quit.
    public func run() throws {
        ProcessTitle.set("srs: master process \(arguments.joined(separator: " "))")
        if !resumed {
            for spec in ListenerSpec.all(for: config) { listeners[spec] = try bind(spec) }
        }
        if connectionTable == nil {
            do {
                connectionTable = try SharedCounters.create(rows: ConnectionTable.rows, name: "swiftsrs-connections")
            } catch {
                Log.error("master: no shared connection table (\(error)); each worker takes its share of max_connections")
            }
        }
        signals = try SignalSource(signals: [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD], loop: loop) {
            [unowned self] sig in handleSignal(sig)
        }
        watchConfig(inContainer: inContainer)
        Log.trace("signal installed, reload=\(SIGHUP), reopen=\(SIGUSR1), fast_quit=\(SIGTERM), grace_quit=\(SIGQUIT), upgrade=\(SIGUSR2)")
        if resumed {
            Log.trace("master \(getpid()) re-executed as \(Version.server), \(workers.count) workers adopted")
            // Workers that ended while we were exec'ing are reaped now (their SIGCHLD is pending too).
            reapWorkers()
        } else {
            let n = workerCount
            Log.trace("master \(getpid()) starts \(n) worker\(n == 1 ? "" : "s"), executable=\(executable)")
            for _ in 0..<n { try spawnWorker() }
        }
        ingest.apply(config)
        onListening?()
        onListening = nil
        loop.run()
        listeners.removeAll()
        // What watches fds on the loop goes before the loop does.
        signals = nil
        configWatcher = nil
        workers.removeAll()
    }

    func bind(_ spec: ListenerSpec) throws -> FileDescriptor {
        let fd = try TCPListener.bind(host: spec.address.host, port: spec.address.port, reusePort: true)
        Log.trace("master listen at tcp://\(spec.address) (\(spec.kind)), fd=\(fd)")
        return fd
    }

    /// Starts one worker of the current generation and sends it the config and listeners.
    @discardableResult
    func spawnWorker(executable path: String? = nil) throws -> Worker {
        let (mine, theirs) = try MessageChannel.socketPair()
        var env = environment
        env[WorkerProcess.environmentKey] = "\(generation)"
        let pid = try Spawn.process(path: path ?? executable, arguments: arguments, environment: env, channel: theirs,
                                    blockedSignals: WorkerProcess.signals)
        // The worker has its copy of its end now.
        theirs.close()
        let w = try adopt(pid: pid, channel: mine, generation: generation)
        let specs = Array(listeners.keys)
        var fds = specs.compactMap { listeners[$0] }
        if let table = connectionTable, let tableFD = table.fd {
            w.quotaRow = ConnectionTable.claimRow(in: table, pid: pid, taken: Set(workers.values.compactMap(\.quotaRow)))
            if w.quotaRow == nil { Log.warn("master: connection table full, worker \(pid) takes its share of max_connections") }
            if w.quotaRow != nil { fds.append(tableFD) }
        }
        w.channel.send(ControlMessage.configure(config: configText, listeners: specs, reload: false, identity: identity,
                                                quotaRow: w.quotaRow).encode(), fds: fds)
        Log.trace("master spawned worker \(pid), generation \(generation)")
        return w
    }

    /// Tracks a worker process and listens on its channel.
    func adopt(pid: pid_t, channel fd: FileDescriptor, generation: Int) throws -> Worker {
        let channel = try MessageChannel(fd: fd, loop: loop)
        let w = Worker(pid: pid, channel: channel, generation: generation, startedMs: loop.now)
        workers[pid] = w
        channel.onMessage = { [unowned self, weak w] bytes in
            guard let w else { return }
            guard let m = ControlMessage.decode(bytes) else {
                Log.warn("master: unknown message from worker \(w.pid) ignored")
                return
            }
            handle(m, from: w)
        }
        channel.onClose = { [weak self, weak w] in
            guard let self, let w else { return }
            workerChannelClosed(w)
        }
        return w
    }
}
