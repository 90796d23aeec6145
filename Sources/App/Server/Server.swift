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
    private(set) var connections: [String: ServerConnection] = [:]
    private var rtmpListeners: [TCPListener] = []
    private var ticker: RepeatingTimer?
    /// Total connections accepted, and refused for max_connections.
    public private(set) var acceptedTotal: UInt64 = 0
    public private(set) var refusedTotal: UInt64 = 0

    public init(config: ServerConfig, loop: EventLoop) {
        self.config = config
        self.loop = loop
    }

    /// Starts serving RTMP on listening fds (bound by us or inherited from the master).
    public func start(rtmpListenFDs: [(fd: Int32, address: ListenAddress)]) throws {
        for (fd, addr) in rtmpListenFDs {
            let l = try TCPListener(fd: fd, host: addr.host, port: addr.port, loop: loop)
            l.onAccept = { [unowned self] fd, ip, port in self.acceptRTMP(fd: fd, ip: ip, port: port) }
            rtmpListeners.append(l)
            Log.trace("RTMP listen at tcp://\(addr.host):\(l.boundPort), fd=\(fd)")
        }
        ticker = loop.repeating(everyMs: 1000) { [unowned self] in self.tick() }
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

    func add(_ c: ServerConnection) { connections[c.cid] = c }

    func remove(_ c: ServerConnection) { connections.removeValue(forKey: c.cid) }

    public var connectionCount: Int { connections.count }

    func streamPublished(_ s: LiveSource) {}

    func streamUnpublished(_ s: LiveSource) {}

    private func tick() {
        let now = loop.now
        for c in Array(connections.values) { c.tick(now: now) }
        sources.cleanup(now: now)
    }

    /// Closes the listeners (graceful quit: no new connections).
    public func closeListeners() {
        for l in rtmpListeners { l.close() }
        rtmpListeners.removeAll()
    }

    /// Closes every connection now (fast quit).
    public func closeAll() {
        for c in Array(connections.values) { c.close() }
    }
}
