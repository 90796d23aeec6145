import CSystem
import Glibc
import System

/// The media core of a worker: listeners, connections, live sources, all on one event loop.
public final class Server {
    /// A connection must `connect` within this time, so half-open sockets cannot pile up.
    static let connectTimeoutMs: Int64 = 30_000
    /// A player whose socket takes nothing for this long is closed.
    static let sendTimeoutMs: Int64 = 30_000

    public let loop: EventLoop
    public private(set) var config: ServerConfig
    public let sources = SourceManager()
    public let pid = getpid()
    public let startedMs = Clock.wallMs()
    /// SRS's `server` id in API answers (config `server_id`, else random per process).
    public let serverID: String
    /// SRS's `service` id: random per process start.
    public let serviceID = Log.newContextID()
    private var vhostIDs: [String: String] = [:]
    private var connections: [String: ServerConnection] = [:]
    private var kbps: [String: (recv: Kbps, send: Kbps)] = [:]
    private var rtmpListeners: [TCPListener] = []
    private var httpListeners: [TCPListener] = []
    private var ticker: RepeatingTimer?
    lazy var http = HTTPService(server: self)
    var cpu = CPUSampler()
    private var lastSystemTicks = ProcStats.systemTicks()
    private(set) var systemCPUPercent = 0.0
    /// True once a graceful quit started: /readyz answers 503 so load balancers drain us.
    public internal(set) var isDraining = false
    /// Total connections accepted, and refused for max_connections.
    public private(set) var acceptedTotal: UInt64 = 0
    public private(set) var refusedTotal: UInt64 = 0

    public init(config: ServerConfig, loop: EventLoop) {
        self.config = config
        self.loop = loop
        self.serverID = config.serverID ?? "vid-" + String(Log.newContextID().prefix(7))
    }

    /// A listening socket and what it serves.
    public struct Listener {
        public enum Kind: Sendable { case rtmp, http(api: Bool, files: Bool) }
        public var fd: Int32
        public var address: ListenAddress
        public var kind: Kind
        public init(fd: Int32, address: ListenAddress, kind: Kind) {
            self.fd = fd
            self.address = address
            self.kind = kind
        }
    }

    /// Starts serving on listening fds (bound by us or inherited from the master).
    public func start(listeners: [Listener]) throws {
        for spec in listeners {
            let l = try TCPListener(fd: spec.fd, host: spec.address.host, port: spec.address.port, loop: loop)
            switch spec.kind {
            case .rtmp:
                l.onAccept = { [unowned self] fd, ip, port in self.acceptRTMP(fd: fd, ip: ip, port: port) }
                rtmpListeners.append(l)
                Log.trace("RTMP listen at tcp://\(spec.address.host):\(l.boundPort), fd=\(spec.fd)")
            case .http(let api, let files):
                l.onAccept = { [unowned self] fd, ip, port in self.acceptHTTP(fd: fd, ip: ip, port: port, api: api, files: files) }
                httpListeners.append(l)
                Log.trace("HTTP \(api ? "API" : "")\(api && files ? "+" : "")\(files ? "Server" : "") listen at tcp://\(spec.address.host):\(l.boundPort), fd=\(spec.fd)")
            }
        }
        ticker = loop.repeating(everyMs: 1000) { [unowned self] in self.tick() }
    }

    /// The listeners this config asks for: RTMP ports, then HTTP API/server (one socket when their ports are equal).
    public static func listenerSpecs(_ config: ServerConfig) -> [(ListenAddress, Listener.Kind)] {
        var out: [(ListenAddress, Listener.Kind)] = config.listen.map { ($0, .rtmp) }
        let api = config.httpAPI.enabled ? config.httpAPI.listen : nil
        let files = config.httpServer.enabled ? config.httpServer.listen : nil
        if let a = api, let f = files, a.port == f.port {
            out.append((f, .http(api: true, files: true)))
        } else {
            if let a = api { out.append((a, .http(api: true, files: false))) }
            if let f = files { out.append((f, .http(api: false, files: true))) }
        }
        return out
    }

    /// The ports actually bound (tests listen on port 0).
    public var rtmpPorts: [Int] { rtmpListeners.map { $0.boundPort } }

    private func acceptRTMP(fd: Int32, ip: String, port: Int) {
        guard admit(fd: fd, ip: ip) else { return }
        do {
            let socket = try StreamSocket(fd: fd, peerIP: ip, peerPort: port, loop: loop)
            let c = RTMPConnection(socket: socket, server: self)
            connections[c.cid] = c
            Log.trace("RTMP client ip=\(ip):\(port), fd=\(fd)", cid: c.cid)
        } catch {
            Log.error("accept \(ip):\(port): \(error)")
            Glibc.close(fd)
        }
    }

    private func acceptHTTP(fd: Int32, ip: String, port: Int, api: Bool, files: Bool) {
        guard admit(fd: fd, ip: ip) else { return }
        do {
            let socket = try StreamSocket(fd: fd, peerIP: ip, peerPort: port, loop: loop)
            let c = HTTPConnection(socket: socket, server: self, servesAPI: api, servesFiles: files)
            connections[c.cid] = c
            Log.info("HTTP client ip=\(ip):\(port), fd=\(fd)", cid: c.cid)
        } catch {
            Log.error("accept \(ip):\(port): \(error)")
            Glibc.close(fd)
        }
    }

    /// Applies max_connections; closes the fd when over it.
    func admit(fd: Int32, ip: String) -> Bool {
        acceptedTotal += 1
        if connections.count >= config.maxConnections {
            refusedTotal += 1
            Log.warn("drop client \(ip): max_connections \(config.maxConnections) reached")
            Glibc.close(fd)
            return false
        }
        return true
    }

    func remove(_ c: ServerConnection) {
        connections.removeValue(forKey: c.cid)
        kbps.removeValue(forKey: c.cid)
    }

    public var connectionCount: Int { connections.count }
    var connectionsList: [ServerConnection] { Array(connections.values) }
    func connection(_ cid: String) -> ServerConnection? { connections[cid] }

    /// Every client with its 30 s rates.
    func clientInfos() -> [ClientInfo] {
        connections.values.map { c in
            var info = c.clientInfo
            if let k = kbps[c.cid] {
                info.recvKbps = k.recv.kbps
                info.sendKbps = k.send.kbps
            }
            return info
        }
    }

    /// A stable API id for a vhost name.
    func vhostID(_ name: String) -> String {
        if let id = vhostIDs[name] { return id }
        let id = "vid-" + String(Log.newContextID().prefix(7))
        vhostIDs[name] = id
        return id
    }

    /// HLS writers by stream key; a writer outlives its publish session until hls_dispose.
    private var hlsWriters: [String: HLSWriter] = [:]

    func streamPublished(_ s: LiveSource) {
        guard let vhost = config.vhost(s.vhost), vhost.hls.enabled else { return }
        let w = hlsWriters[s.key] ?? HLSWriter(vhost: s.vhost, app: s.app, stream: s.stream, config: vhost.hls, loop: loop)
        w.onDisposed = { [weak self] in self?.hlsWriters.removeValue(forKey: s.key) }
        hlsWriters[s.key] = w
        w.sourcePublished()
        s.addConsumer(w, now: loop.now)
    }

    /// Writes out the segments in progress (quit).
    func flushHLS() { for w in hlsWriters.values { w.flush() } }

    func streamUnpublished(_ s: LiveSource) {
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
        cpu.sample()
        let t = ProcStats.systemTicks()
        if t.total > lastSystemTicks.total {
            systemCPUPercent = 1 - Double(t.idle - lastSystemTicks.idle) / Double(t.total - lastSystemTicks.total)
        }
        lastSystemTicks = t
    }

    /// Closes the listeners (graceful quit: no new connections).
    public func closeListeners() {
        for l in rtmpListeners + httpListeners { l.close() }
        rtmpListeners.removeAll()
        httpListeners.removeAll()
    }

    /// Closes every connection now (fast quit).
    public func closeAll() {
        for c in Array(connections.values) { c.close() }
    }
}
