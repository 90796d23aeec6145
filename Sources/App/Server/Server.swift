import Core
import Glibc
import Protocol
import System

/// The media core of a worker: listeners, connections, live sources, all on one event loop.
public final class Server {
    /// A player whose socket takes nothing for this long is closed.
    static let sendTimeoutMs: Int64 = 30_000

    public let loop: EventLoop
    public internal(set) var config: ServerConfig
    public let sources = SourceManager()
    public let startedMs = Clock.wallMs()
    /// Who this server is in API answers (the same in every worker of a master).
    public let identity: ServerIdentity
    /// SRS's `server` id in API answers (config `server_id`, else random per master start).
    public var serverID: String { identity.serverID }
    /// SRS's `service` id: random per master start.
    public var serviceID: String { identity.serviceID }
    /// The pid the API reports: the master's (the pid file's).
    public var pid: Int32 { identity.pid }
    /// The other workers, through the master.
    public let siblings = SiblingLink()
    /// Pulls of streams published on other workers, for players here.
    lazy var relays = SiblingRelays(server: self)
    private(set) var connections: [String: ServerConnection] = [:]
    /// Connections evicted (uncounted at once) until their close callback ran: it needs them alive.
    var evicted: [String: ServerConnection] = [:]
    private var internalConnections = 0
    /// This worker's row in the master's table of connection counts (nil: no master, or one
    /// that has none; then each worker takes its even share of max_connections).
    public var quota: ConnectionQuota?
    var quotaTimer: RepeatingTimer?
    private var kbps: [String: (recv: Kbps, send: Kbps)] = [:]
    private var listeners: [ListenerSpec: TCPListener] = [:]
    private var ticker: RepeatingTimer?
    lazy var http = HTTPService(server: self)
    /// Edge (pull/push through origins) and origin cluster (discovery, redirects).
    lazy var cluster = ClusterService(server: self)
    /// Forward, transcode and exec of the streams published here.
    lazy var hub = makeHub()
    /// http_hooks: the calls about this worker's clients.
    lazy var hooks = HookService(loop: loop, hosts: cluster.hosts, serverID: serverID, serviceID: serviceID,
                                 config: { [unowned self] in self.config })
    var cpu = CPUSampler()
    private var lastSystemTicks = ProcStats.systemTicks()
    private(set) var systemCPUPercent = 0.0
    /// True once a graceful quit started: /readyz answers 503 so load balancers drain us.
    public internal(set) var isDraining = false
    /// During a graceful quit: runs when the last connection is gone (see `Server+Quit.swift`).
    var quitWaiter: (() -> Void)?
    var quitPoll = 0
    /// Total connections accepted, refused for max_connections, and evicted to make room.
    public internal(set) var acceptedTotal: UInt64 = 0
    public internal(set) var refusedTotal: UInt64 = 0
    public internal(set) var evictedTotal: UInt64 = 0

    public init(config: ServerConfig, loop: EventLoop, identity: ServerIdentity? = nil) {
        self.config = config
        self.loop = loop
        self.identity = identity ?? .starting(config, pid: getpid())
        sources.playConfig = { [unowned self] vhost in self.config.vhost(vhost)?.play }
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
        let fd = listener.fd.rawValue
        let l = try TCPListener(fd: listener.fd, host: spec.address.host, port: spec.address.port, loop: loop)
        l.onExhausted = { [unowned self] in self.descriptorsExhausted() }
        switch spec.kind {
        case .rtmp:
            l.onAccept = { [unowned self] fd, ip, port in self.acceptRTMP(fd: fd, ip: ip, port: port) }
            Log.trace("RTMP listen at tcp://\(spec.address), fd=\(fd)")
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
    }

    /// What this worker listens on now.
    var listening: Set<ListenerSpec> { Set(listeners.keys) }

    /// A new RTMP client; `relay` ones come from sibling workers' relay pulls (not counted,
    /// not limited by max_connections, never relayed further).
    func acceptRTMP(fd: FileDescriptor, ip: String, port: Int, relay: Bool = false) {
        guard relay || admit(fd: fd, ip: ip, port: port) else { return }
        do {
            let socket = try StreamSocket(fd: fd, peerIP: ip, peerPort: port, loop: loop)
            let c = RTMPConnection(socket: socket, server: self, relay: relay)
            connections[c.cid] = c
            if relay { internalConnections += 1 }
            Log.traceClient("RTMP client", "RTMP client ip=\(ip):\(port), fd=\(fd)\(relay ? ", relay" : "")", cid: c.cid)
        } catch {
            Log.errorRepeated("accept failed", "accept \(ip):\(port): \(error)")
            fd.close()
        }
        quota?.publish(connections: clientCount)
    }

    private func acceptHTTP(fd: FileDescriptor, ip: String, port: Int, api: Bool, files: Bool) {
        guard admit(fd: fd, ip: ip, port: port) else { return }
        do {
            let socket = try StreamSocket(fd: fd, peerIP: ip, peerPort: port, loop: loop)
            let c = HTTPConnection(socket: socket, server: self, servesAPI: api, servesFiles: files)
            connections[c.cid] = c
            Log.infoClient("HTTP client", "HTTP client ip=\(ip):\(port), fd=\(fd)", cid: c.cid)
        } catch {
            Log.errorRepeated("accept failed", "accept \(ip):\(port): \(error)")
            fd.close()
        }
        quota?.publish(connections: clientCount)
    }

    /// Forgets a closed connection. `publish: false` when its place goes to a new client at once
    /// (eviction): the server's total must not dip, or another worker could take the place too.
    func remove(_ c: ServerConnection, publish: Bool = true) {
        guard connections.removeValue(forKey: c.cid) != nil else {
            evicted.removeValue(forKey: c.cid)
            return
        }
        if c.isInternal { internalConnections -= 1 }
        if publish { quota?.publish(connections: clientCount) }
        kbps.removeValue(forKey: c.cid)
        if connections.isEmpty, let w = quitWaiter {
            quitWaiter = nil
            loop.runSoon(w)
        }
    }

    public var connectionCount: Int { connections.count }

    /// Connections of real clients (relay pulls of sibling workers excluded).
    var clientCount: Int { connections.count - internalConnections }
    var connectionsList: [ServerConnection] { Array(connections.values) }
    func connection(_ cid: String) -> ServerConnection? { connections[cid] }

    /// Every client with its 30 s rates.
    func clientInfos() -> [ClientInfo] {
        connections.values.filter { !$0.isInternal }.map { c in
            var info = c.clientInfo
            if let k = kbps[c.cid] {
                info.recvKbps = k.recv.kbps
                info.sendKbps = k.send.kbps
            }
            return info
        }
    }

    /// The API id of a vhost: derived from its name, so every worker gives the same one.
    func vhostID(_ name: String) -> String { StableID.make(name) }

    /// HLS writers by stream key; a writer outlives its publish session until hls_dispose.
    private var hlsWriters: [StreamKey: HLSWriter] = [:]
    /// Failed HLS writes (segments, playlists) on this worker, for the API and the exporter.
    public private(set) var hlsWriteErrorsTotal: UInt64 = 0

    /// A client started publishing `s` here: siblings learn of it, and HLS starts if enabled.
    func streamPublished(_ s: LiveSource) {
        siblings.published(s.key)
        attachHLS(s)
        hubPublished(s)
    }

    /// Starts writing `s` as HLS when its vhost asks for it (a writer left from an earlier
    /// publish, waiting for hls_dispose, continues with a discontinuity).
    func attachHLS(_ s: LiveSource) {
        // HLS is the origin's job: a stream pulled by an edge (or relayed) is not segmented here.
        guard s.publisherKind == .client else { return }
        guard let vhost = config.vhost(s.vhost), vhost.hls.enabled else { return }
        let w: HLSWriter
        if let existing = hlsWriters[s.key] {
            w = existing
            w.update(config: vhost.hls)
        } else {
            w = HLSWriter(key: s.key, config: vhost.hls, loop: loop)
            w.onDisposed = { [weak self] in self?.hlsWriters.removeValue(forKey: s.key) }
            w.onWriteError = { [weak self] in self?.hlsWriteErrorsTotal += 1 }
            hlsWriters[s.key] = w
        }
        if let cid = s.publisherCID { w.onSegment = { [weak self] segment in self?.hooks.hlsSegmentWritten(segment, publisher: cid) } }
        w.sourcePublished()
        s.addConsumer(w, now: loop.now)
    }

    /// Stops writing `s` as HLS (unpublished, or hls turned off by a reload); its files stay
    /// until hls_dispose.
    func detachHLS(_ s: LiveSource) {
        guard let w = hlsWriters[s.key] else { return }
        s.removeConsumer(w, now: loop.now)
        w.sourceUnpublished()
    }

    /// The HLS writer of a stream key, if any (reload).
    func hlsWriter(_ key: StreamKey) -> HLSWriter? { hlsWriters[key] }

    /// Writes out the segments in progress (quit).
    func flushHLS() { for w in hlsWriters.values { w.flush() } }

    func streamUnpublished(_ s: LiveSource) {
        siblings.unpublished(s.key)
        hub.unpublished(s)
        // The source already told the writer (it is a consumer); detach so the source can be released.
        if let w = hlsWriters[s.key] { s.removeConsumer(w, now: loop.now) }
    }

    private func tick() {
        let now = loop.now
        var sentByStream: [String: UInt64] = [:]
        for c in Array(connections.values) {
            c.tick(now: now)
            let info = c.clientInfo
            if let id = info.streamID { sentByStream[id, default: 0] += info.sendBytes }
            var k = kbps[c.cid] ?? (Kbps(), Kbps())
            k.recv.sample(now: now, bytes: info.recvBytes)
            k.send.sample(now: now, bytes: info.sendBytes)
            kbps[c.cid] = k
        }
        for s in sources.sources.values {
            s.recvKbps.sample(now: now, bytes: s.bytesIn)
            s.sendKbps.sample(now: now, bytes: sentByStream[s.id] ?? 0)
        }
        sources.cleanup(now: now)
        Log.flushRepeated()
        cpu.sample()
        let t = ProcStats.systemTicks()
        if t.total > lastSystemTicks.total {
            systemCPUPercent = 1 - Double(t.idle - lastSystemTicks.idle) / Double(t.total - lastSystemTicks.total)
        }
        lastSystemTicks = t
    }

    /// Closes the listeners (graceful quit: no new connections).
    public func closeListeners() {
        for l in listeners.values { l.close() }
        listeners.removeAll()
    }

    /// Closes every connection now (fast quit).
    public func closeAll() {
        for c in Array(connections.values) { c.close() }
    }
}
