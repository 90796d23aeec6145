import Core
import System

/// Host names of origins and coworkers, resolved to addresses. A name is looked up again when its
/// answer is older than `refreshMs` or after a failure (`invalidate`), so a K8s headless Service
/// that gains pods, or pods that move, need no config change. Callers wait for a lookup in
/// progress; when one fails, the last good answer is kept. IP literals are not looked up.
final class HostAddressCache {
    static let refreshMs: Int64 = 10_000
    /// Names remembered at most (the config names a handful; this only bounds memory).
    static let maxNames = 256

    private struct Entry {
        var addresses: [String] = []
        var resolvedMs: Int64 = .min
        var stale = true
        var resolving = false
        var waiters: [([String]) -> Void] = []
    }

    private let loop: EventLoop
    private let resolver: () -> DNSResolver?
    private var entries: [String: Entry] = [:]

    /// `resolver` is asked lazily (it opens a pipe on first use).
    init(loop: EventLoop, resolver: @escaping () -> DNSResolver?) {
        self.loop = loop
        self.resolver = resolver
    }

    /// The addresses of `host` (empty when it never resolved). Calls back on the loop or at once.
    func addresses(of host: String, _ done: @escaping ([String]) -> Void) {
        if DNSResolver.isIPLiteral(host) {
            done([host])
            return
        }
        var e = entries[host] ?? Entry()
        if !e.stale && loop.now - e.resolvedMs < Self.refreshMs {
            done(e.addresses)
            return
        }
        e.waiters.append(done)
        let start = !e.resolving
        e.resolving = true
        store(host, e)
        guard start else { return }
        guard let r = resolver() else {
            finish(host, .failure(DNSError(host: host, reason: "no resolver")))
            return
        }
        r.resolve(host) { [weak self] result in self?.finish(host, result) }
    }

    /// A connection to an address of `host` failed: look it up again before the next use.
    func invalidate(_ host: String) {
        guard var e = entries[host] else { return }
        e.stale = true
        entries[host] = e
    }

    /// Every address of every peer, in config order (a name gives all its addresses).
    func expand(_ peers: [HostPort], _ done: @escaping ([(peer: HostPort, address: String)]) -> Void) {
        var results = [[String]](repeating: [], count: peers.count)
        var left = peers.count
        if left == 0 {
            done([])
            return
        }
        for (i, p) in peers.enumerated() {
            addresses(of: p.host) { addrs in
                results[i] = addrs
                left -= 1
                if left == 0 {
                    done(zip(peers, results).flatMap { peer, addrs in addrs.map { (peer: peer, address: $0) } })
                }
            }
        }
    }

    private func finish(_ host: String, _ result: Result<[String], DNSError>) {
        guard var e = entries[host] else { return }
        e.resolving = false
        switch result {
        case .success(let addrs):
            if addrs != e.addresses {
                Log.trace("dns: \(host) resolved to [\(addrs.joined(separator: ", "))]\(e.addresses.isEmpty ? "" : ", was [\(e.addresses.joined(separator: ", "))]")")
            }
            e.addresses = addrs
            e.resolvedMs = loop.now
            e.stale = false
        case .failure(let err):
            Log.warn("dns: \(err)\(e.addresses.isEmpty ? "" : ", keep [\(e.addresses.joined(separator: ", "))]")")
            // Retry on the next use, not before a second has passed (a dead DNS must not be hammered).
            e.resolvedMs = loop.now - Self.refreshMs + 1000
            e.stale = false
        }
        let waiters = e.waiters
        e.waiters = []
        entries[host] = e
        for w in waiters { w(e.addresses) }
    }

    private func store(_ host: String, _ e: Entry) {
        if entries[host] == nil && entries.count >= Self.maxNames,
           let victim = entries.filter({ !$0.value.resolving }).min(by: { $0.value.resolvedMs < $1.value.resolvedMs })?.key {
            entries.removeValue(forKey: victim)
        }
        entries[host] = e
    }
}
