import System

/// The connections of a worker: by context id, with their 30 s rates, how many are real clients
/// (sibling relay pulls are not), and this worker's row in the master's shared count of clients.
final class ConnectionRegistry {
    private(set) var connections: [String: ServerConnection] = [:]
    /// Connections evicted (uncounted at once) until their close callback ran: it needs them alive.
    private var evicted: [String: ServerConnection] = [:]
    private var internalConnections = 0
    private var kbps: [String: (recv: Kbps, send: Kbps)] = [:]
    /// This worker's row in the master's table of connection counts (nil: no master, or one
    /// that has none; then each worker takes its even share of max_connections).
    var quota: ConnectionQuota?
    /// Called (at the end of the loop iteration) when the last connection is gone.
    var onEmpty: (() -> Void)?
    private let loop: EventLoop
    /// Clients gone (`srs_clients_total` adds those here; API callers are not clients, as in
    /// `/api/v1/clients`), clients whose connection ended in an error (`srs_clients_errs_total`),
    /// and the bytes of every connection gone (the totals add the live ones).
    private var goneClients: UInt64 = 0
    private(set) var clientErrorsTotal: UInt64 = 0
    private var goneRecvBytes: UInt64 = 0
    private var goneSendBytes: UInt64 = 0

    init(loop: EventLoop) { self.loop = loop }

    func add(_ c: ServerConnection) {
        connections[c.cid] = c
        if c.isInternal { internalConnections += 1 }
        publishCount()
    }

    /// Forgets a closed connection. `publish: false` when its place goes to a new client at once
    /// (eviction): the server's total must not dip, or another worker could take the place too.
    /// `failed`: its connection ended in an error (counted in `clientErrorsTotal`).
    func remove(_ c: ServerConnection, publish: Bool = true, failed: Bool = false) {
        guard connections.removeValue(forKey: c.cid) != nil else {
            evicted.removeValue(forKey: c.cid)
            return
        }
        if c.isInternal {
            internalConnections -= 1
        } else {
            let info = c.clientInfo
            goneRecvBytes &+= info.recvBytes
            goneSendBytes &+= info.sendBytes
            if info.type != ClientInfo.apiType { goneClients += 1 }
            if failed { clientErrorsTotal += 1 }
        }
        if publish { publishCount() }
        kbps.removeValue(forKey: c.cid)
        if connections.isEmpty, let done = onEmpty {
            onEmpty = nil
            loop.runSoon(done)
        }
    }

    /// Stops counting an evicted connection now (its close callback comes at the end of the
    /// loop iteration; it is kept alive until then).
    func uncount(_ victim: ServerConnection, publish: Bool) {
        evicted[victim.cid] = victim
        remove(victim, publish: publish)
    }

    /// Tells the other workers how many clients this one has.
    func publishCount() { quota?.publish(connections: clientCount) }

    var count: Int { connections.count }
    /// Connections of real clients (relay pulls of sibling workers excluded).
    var clientCount: Int { connections.count - internalConnections }
    var all: [ServerConnection] { Array(connections.values) }
    func connection(_ cid: String) -> ServerConnection? { connections[cid] }

    /// The client connection that has waited longest for its client to start something.
    func longestWaiting() -> ServerConnection? {
        var best: (c: ServerConnection, since: Int64)?
        for c in connections.values {
            guard let since = c.waitingSinceMs, since < best?.since ?? .max else { continue }
            best = (c, since)
        }
        return best?.c
    }

    /// How many connections wait for their client (could be evicted).
    var waitingCount: Int { connections.values.reduce(0) { $0 + ($1.waitingSinceMs == nil ? 0 : 1) } }

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

    /// The once-a-second tick: every connection's own, and its rates. Returns the bytes sent
    /// per stream id (for the streams' rates).
    func tick(now: Int64) -> [String: UInt64] {
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
        return sentByStream
    }

    /// Clients (not API callers) since the start, those gone and those here.
    var clientsTotal: UInt64 { goneClients + UInt64(clientInfos().filter { $0.type != ClientInfo.apiType }.count) }

    /// Bytes received from and sent to clients since the start (those gone and those here).
    func byteTotals() -> (recv: UInt64, send: UInt64) {
        var recv = goneRecvBytes
        var send = goneSendBytes
        for c in connections.values where !c.isInternal {
            let info = c.clientInfo
            recv &+= info.recvBytes
            send &+= info.sendBytes
        }
        return (recv, send)
    }

    /// Closes every connection now (fast quit).
    func closeAll() {
        for c in Array(connections.values) { c.close() }
    }
}
