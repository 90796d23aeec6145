import Core
import Protocol
import System

/// Every live source of this worker, by `vhost/app/stream`. Sources with no publisher and no
/// consumer are released after `idleTimeoutMs`, so stream churn does not leak memory.
public final class SourceManager {
    public private(set) var sources: [StreamKey: LiveSource] = [:]
    public var idleTimeoutMs: Int64 = 3000
    /// The `play` settings of a vhost (nil: defaults). Every source gets its vhost's GOP cache
    /// settings when it is created, whoever feeds it (a client, an edge pull, a sibling's relay).
    public var playConfig: (String) -> PlayConfig? = { _ in nil }

    public init() {}

    public func fetchOrCreate(_ key: StreamKey, now: Int64) -> LiveSource {
        if let s = sources[key] { return s }
        let s = LiveSource(key: key, now: now)
        apply(to: s)
        sources[key] = s
        return s
    }

    /// The vhosts' settings changed (reload): every source takes them.
    public func applyPlayConfig() {
        for s in sources.values { apply(to: s) }
    }

    private func apply(to s: LiveSource) {
        let play = playConfig(s.vhost) ?? PlayConfig()
        s.gopCacheEnabled = play.gopCache
        s.gopCacheMaxFrames = play.gopCacheMaxFrames
    }

    public func find(_ key: StreamKey) -> LiveSource? { sources[key] }

    /// Releases idle sources; returns how many were released.
    @discardableResult
    public func cleanup(now: Int64) -> Int {
        var released = 0
        for (key, s) in sources where s.isIdle && now - s.lastActiveMs >= idleTimeoutMs {
            sources.removeValue(forKey: key)
            released += 1
            Log.traceClient("Live: cleanup die source", "Live: cleanup die source, id=[\(s.id)], url=\(key), total=\(sources.count)")
        }
        return released
    }

    /// Releases every source (graceful quit: "source disposed").
    public func disposeAll() { sources.removeAll() }
}
