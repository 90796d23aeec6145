import Core
import Glibc
import Protocol
import System

/// The media core of a worker: it makes the worker's services and hands each what it needs
/// (see `docs/architecture.md`), owns the listeners, admits connections, and runs the
/// once-a-second tick, the reload and the graceful quit. Everything runs on one event loop.
public final class Server {
    /// A player whose socket takes nothing for this long is closed.
    static let sendTimeoutMs: Int64 = 30_000

    public let loop: EventLoop
    /// The config the worker runs (replaced by a reload).
    let settings: ConfigStore
    public var config: ServerConfig { settings.current }
    public let sources: SourceManager
    /// Who this server is in API answers (the same in every worker of a master).
    public let identity: ServerIdentity
    /// The other workers, through the master.
    public let siblings: SiblingLink
    let status: WorkerStatus
    let connections: ConnectionRegistry
    let hls: HLSService
    /// Pulls of streams published on other workers, for players here.
    let relays: SiblingRelays
    /// Edge (pull/push through origins) and origin cluster (discovery, redirects).
    let cluster: ClusterService
    /// Forward, transcode and exec of the streams published here.
    let hub: OriginHub
    /// http_hooks: the calls about this worker's clients.
    let hooks: HookService
    let api: HTTPAPI
    let http: HTTPService
    /// What each RTMP and HTTP connection is given.
    let rtmpServices: RTMPServices
    let httpServices: HTTPConnection.Services
    /// SRT listeners (this worker's slot) and what SRT clients are given.
    let srt: SRTService
    let srtServices: SRTServices
    /// This worker's row in the master's table of connection counts (nil: no master, or one
    /// that has none; then each worker takes its even share of max_connections).
    public var quota: ConnectionQuota? {
        get { connections.quota }
        set { connections.quota = newValue }
    }
    var quotaTimer: RepeatingTimer?
    private var listeners: [ListenerSpec: TCPListener] = [:]
    private var ticker: RepeatingTimer?
    /// During a graceful quit: the current wait for connections (see `Server+Quit.swift`).
    var quitPoll = 0
    /// Total connections accepted, refused for max_connections, and evicted to make room.
    public internal(set) var acceptedTotal: UInt64 = 0
    public internal(set) var refusedTotal: UInt64 = 0
    public internal(set) var evictedTotal: UInt64 = 0

    public init(config: ServerConfig, loop: EventLoop, identity: ServerIdentity? = nil) {
        let identity = identity ?? .starting(config, pid: getpid())
        let settings = ConfigStore(config)
        let sources = SourceManager()
        let siblings = SiblingLink()
        let status = WorkerStatus()
        let connections = ConnectionRegistry(loop: loop)
        let hls = HLSService(loop: loop)
        let relays = SiblingRelays(loop: loop, config: settings, sources: sources, siblings: siblings)
        let cluster = ClusterService(loop: loop, config: settings, sources: sources, siblings: siblings, relays: relays,
                                     status: status)
        let hub = Self.makeHub(loop: loop, config: config, identity: identity, sources: sources, siblings: siblings,
                               cluster: cluster)
        let hooks = HookService(loop: loop, hosts: cluster.hosts, serverID: identity.serverID, serviceID: identity.serviceID,
                                config: { [settings] in settings.current })
        let api = HTTPAPI(loop: loop, config: settings, identity: identity, sources: sources, siblings: siblings,
                          relays: relays, connections: connections, status: status, hub: hub)
        let http = HTTPService(loop: loop, config: settings, sources: sources, siblings: siblings, cluster: cluster, api: api,
                               files: StaticFiles(config: settings), hooks: hooks, status: status)
        self.loop = loop
        self.settings = settings
        self.identity = identity
        self.sources = sources
        self.siblings = siblings
        self.status = status
        self.connections = connections
        self.hls = hls
        self.relays = relays
        self.cluster = cluster
        self.hub = hub
        self.hooks = hooks
        self.api = api
        self.http = http
        rtmpServices = RTMPServices(loop: loop, config: settings, sources: sources, connections: connections,
                                    siblings: siblings, hls: hls, hub: hub, hooks: hooks, cluster: cluster, serverPID: identity.pid)
        httpServices = HTTPConnection.Services(loop: loop, config: settings, connections: connections, router: http, hooks: hooks)
        api.hlsWriteErrors = { [unowned hls] in hls.writeErrorsTotal }
        srt = SRTService(loop: loop, config: settings)
        srtServices = SRTServices(loop: loop, config: settings, sources: sources, connections: connections, siblings: siblings,
                                  hls: hls, hub: hub, hooks: hooks, cluster: cluster)
        srt.onAccept = { [unowned self] c, spec in self.acceptSRT(c, port: spec.address.port) }
        hls.onSegmentWritten = { [unowned hooks] segment, cid in hooks.hlsSegmentWritten(segment, publisher: cid) }
        hub.dvr.onFileClosed = { [unowned hooks] path, cid in hooks.dvrFileClosed(path, publisher: cid) }
        sources.playConfig = { [settings] vhost in settings.current.vhost(vhost)?.play }
        // After an edge stream's relay failed, its players look for it again.
        relays.onRetry = { [unowned self] in siblingsChanged() }
    }

    /// A listening socket (passed by the master) and what it serves.
    public struct Listener {
        public var spec: ListenerSpec
        public var fd: FileDescriptor
        public init(_ spec: ListenerSpec, fd: FileDescriptor) {
            self.spec = spec
            self.fd = fd
        }
    }

    /// Starts serving on listening fds (passed by the master).
    public func start(listeners: [Listener]) throws {
        // The workers write one log: each takes its share of the budget for client lines.
        Log.shareClientBudget(among: config.workerProcesses.resolved)
        for l in listeners { try open(l) }
        ticker = loop.repeating(everyMs: 1000) { [unowned self] in self.tick() }
        if quota != nil {
            quotaTimer = loop.repeating(everyMs: Self.quotaPeriodMs) { [unowned self] in self.serveEvictionRequests() }
        }
    }

    /// Accepts on one listening fd (the server owns it from here).
    func open(_ listener: Listener) throws {
        let spec = listener.spec
        if spec.srtSlot != nil {
            // libsrt refusing an option must not take RTMP and HTTP down with it.
            do { try srt.open(spec, fd: listener.fd) } catch { Log.error("SRT listen at udp://\(spec.address) failed: \(error)") }
            return
        }
        let fd = listener.fd.rawValue
        let l = try TCPListener(fd: listener.fd, host: spec.address.host, port: spec.address.port, loop: loop)
        l.onExhausted = { [unowned self] in self.descriptorsExhausted() }
        switch spec.kind {
        case .rtmp:
            l.onAccept = { [unowned self] fd, ip, port in self.acceptRTMP(fd: fd, ip: ip, port: port) }
            Log.trace("RTMP listen at tcp://\(spec.address), fd=\(fd)")
        case .srt:
            return
        case .http(let api, let files):
            l.onAccept = { [unowned self] fd, ip, port in self.acceptHTTP(fd: fd, ip: ip, port: port, api: api, files: files) }
            Log.trace("HTTP \(api ? "API" : "")\(api && files ? "+" : "")\(files ? "Server" : "") listen at tcp://\(spec.address), fd=\(fd)")
        }
        listeners[spec]?.close()
        listeners[spec] = l
    }

    /// Stops accepting on one listener.
    func close(_ spec: ListenerSpec) {
        listeners.removeValue(forKey: spec)?.close()
        if spec.srtSlot != nil { closeSRT() }
    }

    /// What this worker listens on now.
    var listening: Set<ListenerSpec> { Set(listeners.keys).union(srt.listening) }

    /// A new RTMP client; `relay` ones come from sibling workers' relay pulls (not counted,
    /// not limited by max_connections, never relayed further).
    func acceptRTMP(fd: FileDescriptor, ip: String, port: Int, relay: Bool = false) {
        guard relay || admit(fd: fd, ip: ip, port: port) else { return }
        do {
            let socket = try StreamSocket(fd: fd, peerIP: ip, peerPort: port, loop: loop)
            let c = RTMPConnection(socket: socket, services: rtmpServices, relay: relay)
            connections.add(c)
            Log.traceClient("RTMP client", "RTMP client ip=\(ip):\(port), fd=\(fd)\(relay ? ", relay" : "")", cid: c.cid)
        } catch {
            Log.errorRepeated("accept failed", "accept \(ip):\(port): \(error)")
            fd.close()
            connections.publishCount()
        }
    }

    private func acceptHTTP(fd: FileDescriptor, ip: String, port: Int, api: Bool, files: Bool) {
        guard admit(fd: fd, ip: ip, port: port) else { return }
        do {
            let socket = try StreamSocket(fd: fd, peerIP: ip, peerPort: port, loop: loop)
            let c = HTTPConnection(socket: socket, services: httpServices, servesAPI: api, servesFiles: files)
            connections.add(c)
            Log.infoClient("HTTP client", "HTTP client ip=\(ip):\(port), fd=\(fd)", cid: c.cid)
        } catch {
            Log.errorRepeated("accept failed", "accept \(ip):\(port): \(error)")
            fd.close()
            connections.publishCount()
        }
    }

    public var connectionCount: Int { connections.count }

    private func tick() {
        let now = loop.now
        let sentByStream = connections.tick(now: now)
        for s in sources.sources.values {
            s.recvKbps.sample(now: now, bytes: s.bytesIn)
            s.sendKbps.sample(now: now, bytes: sentByStream[s.id] ?? 0)
        }
        sources.cleanup(now: now)
        Log.flushRepeated()
        status.sample()
    }

    /// Closes the listeners (graceful quit: no new connections).
    public func closeListeners() {
        for l in listeners.values { l.close() }
        listeners.removeAll()
        srt.closeListeners()
    }

    /// Closes every connection now (fast quit).
    public func closeAll() { connections.closeAll() }
}
