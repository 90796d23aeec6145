import Core
import System

extension Server {
    /// How often a worker serves the evictions other workers asked of it and publishes how many
    /// of its connections could be evicted.
    static let quotaPeriodMs: Int64 = 100
    /// Connections evicted at once when accept fails for lack of descriptors (EMFILE).
    static let evictionsPerExhaustion = 8

    /// Applies `max_connections` (the whole server's, see `ConnectionQuota`) to a new client:
    /// admitted while the server has room; at the limit the connection here that has waited
    /// longest for its client to start something is evicted to make room, else another
    /// worker is asked to evict one of its own; only when nobody has one is the client refused
    /// (its fd closed).
    func admit(fd: FileDescriptor, ip: String, port: Int) -> Bool {
        if admit(ip: ip, port: port) { return true }
        fd.close()
        return false
    }

    /// `admit(fd:ip:port:)` for a client without a descriptor of its own (SRT).
    func admit(ip: String, port: Int) -> Bool {
        acceptedTotal += 1
        let limit = config.maxConnections
        if let quota {
            if quota.reserve(current: connections.clientCount, limit: limit) { return true }
        } else if connections.clientCount < connectionLimit {
            return true
        }
        if let victim = connections.longestWaiting() {
            victim.evict("max_connections \(limit) reached, room made for \(ip):\(port)")
            // Its place goes to the new client: the count the other workers see stays as it is.
            uncount(victim, publish: false)
            return true
        }
        if let quota, quota.requestEviction() {
            // Info, not trace: under a flood this would be a line per client.
            Log.info("max_connections \(limit) reached, another worker makes room for \(ip):\(port)")
            return true
        }
        refusedTotal += 1
        let total = quota.map { "\($0.total) in the server" } ?? "\(connectionLimit) on this worker"
        Log.warnRepeated("drop client", "drop client \(ip):\(port): max_connections \(limit) reached (\(total)), none waiting to make room from")
        return false
    }

    /// Without the master's table (a worker of an older master): this worker's even share of
    /// `max_connections`, rounded up.
    var connectionLimit: Int {
        let workers: Int
        switch config.workerProcesses {
        case .count(let n): workers = n
        case .auto: workers = CPUBudget.current
        }
        return (config.maxConnections + workers - 1) / max(1, workers)
    }

    /// Stops counting an evicted connection now (its close callback comes at the end of the
    /// loop iteration; it is kept alive until then).
    private func uncount(_ victim: ServerConnection, publish: Bool = true) {
        connections.uncount(victim, publish: publish)
        evictedTotal += 1
    }

    /// Every `quotaPeriodMs`: evicts what other workers asked of this one (longest waiting
    /// first), and publishes how many connections here could be evicted.
    func serveEvictionRequests() {
        guard let quota else { return }
        let asked = quota.takeEvictionRequests()
        var served = 0
        while served < asked, let victim = connections.longestWaiting() {
            victim.evict("max_connections \(config.maxConnections) reached, room made for a client of another worker")
            uncount(victim)
            served += 1
        }
        quota.publish(waiting: connections.waitingCount)
    }

    /// accept failed for lack of descriptors (the listener pauses a moment): the connections
    /// waiting longest give theirs back, so real clients still get in when the open-file limit
    /// is below max_connections.
    func descriptorsExhausted() {
        for _ in 0..<Self.evictionsPerExhaustion {
            guard let victim = connections.longestWaiting() else { return }
            victim.evict("out of file descriptors, room made for a new client")
            uncount(victim)
        }
    }
}
