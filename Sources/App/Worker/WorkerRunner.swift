import Core
import Glibc
import System

/// A worker process: started by the master with its channel on fd 3 (see `WorkerProcess`), it waits for its config and
/// listeners, serves them on one event loop, reports its streams, and quits when told by signal
/// (relayed by the master) or when the master is gone (the channel's EOF is its lifeline).
public final class WorkerRunner {
    private let loop: EventLoop
    private let channel: MessageChannel
    private let environment: [String: String]
    private var server: Server?
    private var relay: TCPListener?
    private var signals: SignalSource?
    private var quitting = false

    public static func run(environment: [String: String]) -> Int32 {
        ProcessTitle.set("srs: worker process")
        // A peer that resets its socket must not kill us: EPIPE is handled where writev fails.
        Glibc.signal(SIGPIPE, SIG_IGN)
        do {
            let runner = try WorkerRunner(environment: environment)
            runner.loop.run()
            Log.trace("worker \(getpid()) terminated")
            // Leave without tearing down sockets and sources one by one: the process ends here.
            // _exit, not exit: exit runs libsrt's static destructors, whose cleanup waits for
            // the SRT sockets still closing (3 s and more after a retire for upgrade, while the
            // new worker already serves the slot). Logs are written unbuffered; nothing else waits.
            _exit(0)
        } catch {
            ProcessEnv.printError("srs worker: \(error)")
            return WorkerProcess.fatalExitCode
        }
    }

    private init(environment: [String: String]) throws {
        self.environment = environment
        loop = try EventLoop()
        channel = try MessageChannel(fd: FileDescriptor(adopting: WorkerProcess.channelFD), loop: loop)
        channel.onMessage = { [unowned self] bytes in
            guard let m = ControlMessage.decode(bytes) else {
                Log.warn("worker: unknown control message ignored")
                return
            }
            self.handle(m)
        }
        channel.onClose = { [unowned self] in
            guard !quitting else { return }
            Log.warn("master is gone, gracefully quit")
            gracefulQuit()
        }
        signals = try SignalSource(signals: WorkerProcess.signals, loop: loop) { [unowned self] sig in
            self.signal(sig)
        }
    }

    private func handle(_ m: ControlMessage) {
        switch m {
        case .configure(let text, let specs, let reload, let identity, let quotaRow):
            let fds = channel.takeFDs(specs.count)
            // The table's fd (a first configuration's) closes unless `configure` maps it.
            let tableFD = quotaRow == nil ? nil : channel.takeFDs(1).first
            if reload {
                self.reload(text, specs: specs, fds: fds)
            } else {
                configure(text, specs: specs, fds: fds, identity: identity, quota: quotaRow.flatMap { row in tableFD.map { (row, $0) } })
            }
        case .streams(let list):
            server?.siblings.streams = list
        case .conflict(let key):
            server?.refusePublisher(key: key)
        case .collect(let id, let query):
            channel.send(ControlMessage.collected(id: id, data: server?.collect(query) ?? .null).encode())
        case .gathered(let id, let parts):
            if let server { server.siblings.gathered(id: id, parts: parts, loop: server.loop) }
        case .ready, .publish, .unpublish, .reload, .gather, .collected:
            break
        }
    }

    /// The first configuration: open the log, start serving, report ready.
    private func configure(_ text: String, specs: [ListenerSpec], fds: [FileDescriptor], identity: ServerIdentity,
                           quota: (row: Int, fd: FileDescriptor)?) {
        guard server == nil, fds.count == specs.count else {
            Log.error("worker: bad configure message (\(fds.count) fds for \(specs.count) listeners)")
            exit(WorkerProcess.fatalExitCode)
        }
        guard let config = Self.parse(text, environment: environment) else { exit(WorkerProcess.fatalExitCode) }
        do { try config.applyLog() } catch { ProcessEnv.printError("srs worker: cannot open log file: \(error)") }
        Log.cid = Log.newContextID()
        let server = Server(config: config, loop: loop, identity: identity)
        self.server = server
        server.siblings.send = { [weak self] m in self?.channel.send(m.encode()) }
        server.siblings.onStreamsChanged = { [weak server] in server?.siblingsChanged() }
        server.status.generation = environment[WorkerProcess.environmentKey].flatMap { Int($0) } ?? 1
        server.status.index = quota?.row
        if let q = quota {
            do {
                let table = try SharedCounters(mapping: q.fd, keepFD: false)
                server.quota = ConnectionQuota(table: table, row: q.row)
                if server.quota == nil { Log.error("worker: connection table row \(q.row) out of range, max_connections per worker") }
            } catch {
                Log.error("worker: cannot map the connection table: \(error); max_connections per worker")
            }
        }
        raiseOpenFileLimit(config)
        do {
            try server.start(listeners: zip(specs, fds).map { Server.Listener($0, fd: $1) })
            let relayName = "@swiftsrs.\(getppid()).\(getpid())"
            relay = try server.startRelayListener(fd: try TCPListener.bind(unixPath: relayName), name: relayName)
            channel.send(ControlMessage.ready(relay: relayName).encode())
            Log.trace("worker \(getpid()) ready, relay=\(relayName)")
        } catch {
            Log.error("worker: start failed: \(error)")
            exit(WorkerProcess.fatalExitCode)
        }
    }

    /// The master validated `text`; a worker that cannot parse it runs a different version.
    private static func parse(_ text: String, environment: [String: String]) -> ServerConfig? {
        do {
            return try ConfigLoader.parse(text, file: "master", environment: environment).config
        } catch {
            Log.error("worker: config from master rejected: \(error)")
            return nil
        }
    }

    /// A reload: the new config and every listener (unchanged ones too; we keep our own copies).
    private func reload(_ text: String, specs: [ListenerSpec], fds: [FileDescriptor]) {
        // The fds close with `fds` unless the server takes them.
        guard let server, fds.count == specs.count, let config = Self.parse(text, environment: environment) else { return }
        server.reload(config, listeners: zip(specs, fds).map { Server.Listener($0, fd: $1) })
        raiseOpenFileLimit(config)
    }

    /// One worker may hold every client of the server (max_connections counts the whole
    /// server), plus its listeners, relays, upstreams and files: ask for that many descriptors.
    private func raiseOpenFileLimit(_ config: ServerConfig) {
        let wanted = config.maxConnections + Self.spareDescriptors
        do {
            let (soft, hard) = try OpenFileLimit.raise(to: wanted)
            if soft < wanted {
                Log.warn("open file limit \(soft) (hard \(hard)) is below max_connections \(config.maxConnections) + \(Self.spareDescriptors): "
                         + "clients past it wait for descriptors (raise it with ulimit -n)")
            }
        } catch {
            Log.warn("worker: \(error)")
        }
    }

    /// Descriptors beyond one per client: listeners, relays, upstream pulls, HLS files, logs.
    static let spareDescriptors = 1024

    private func signal(_ sig: Int32) {
        switch sig {
        case SIGQUIT:
            gracefulQuit()
        case SIGWINCH:
            // The master retires this worker after a hot upgrade (nginx uses WINCH the same way).
            gracefulQuit(retire: true)
        case SIGTERM, SIGINT:
            Log.trace("sig=\(sig), worker fast quit")
            quitting = true
            server?.closeListeners()
            server?.closeAll()
            loop.stop()
        case SIGUSR1:
            Log.reopen()
        case SIGCHLD:
            // Our transcode and exec children.
            server?.reapChildren()
        default:
            // HUP (reload) and USR2 (upgrade) are the master's: it tells us what to do.
            break
        }
    }

    private func gracefulQuit(retire: Bool = false) {
        quitting = true
        guard let server else { loop.stop(); return }
        server.startGracefulQuit(retire: retire) { [loop] in loop.stop() }
    }
}
