import Core
import Protocol
import System

/// Streams published on a sibling worker (or, on an edge, pulled by a sibling from an origin),
/// pulled here for this worker's players: one pull per stream, over the owner's relay socket,
/// with the ingester an edge uses to pull from an origin. A pull starts with the first local
/// player (or when the stream appears on a sibling while players wait here) and stops with the
/// last player, or when the stream leaves its owner.
final class SiblingRelays {
    private let loop: EventLoop
    private let config: ConfigStore
    private let sources: SourceManager
    private let siblings: SiblingLink
    private var pulls: [StreamKey: (ingester: StreamIngester, owner: PublishedStream, edge: Bool)] = [:]
    /// An edge stream's relay failed: its players should look for the stream again (from the
    /// worker the registry names next, or from the origin).
    var onRetry: (() -> Void)?

    init(loop: EventLoop, config: ConfigStore, sources: SourceManager, siblings: SiblingLink) {
        self.loop = loop
        self.config = config
        self.sources = sources
        self.siblings = siblings
    }

    /// After an edge stream's relay failed, how long before its players' stream is looked for
    /// again.
    static let edgeRetryMs: Int64 = 100

    /// True when `key` is fed by a pull from a sibling (its API entry is not the publisher's).
    func isRelayed(_ key: StreamKey) -> Bool { pulls[key] != nil }

    /// A player joined `source` here: when a sibling publishes the stream (or pulls it from an
    /// origin, on an edge), it is pulled from there. True when it is (or already was).
    @discardableResult
    func playerJoined(_ source: LiveSource) -> Bool {
        if pulls[source.key] != nil { return true }
        guard !source.isPublished, let owner = siblings.owner(of: source.key),
              owner.worker != siblings.me, !owner.relay.isEmpty else { return false }
        return start(source, from: owner)
    }

    /// The registry changed: pulls whose stream left its owner stop (their players wait, or end
    /// for HTTP-FLV, as when a publisher leaves), and waiting players get their stream. A pull
    /// of an edge stream stays with its worker while that one serves it (the worker keeps its
    /// own pull from the origin while anybody relays from it, even when retired by an upgrade):
    /// it ends with its players, or when the worker is gone.
    func streamsChanged() {
        for (key, pull) in pulls where !pull.edge && siblings.owner(of: key) != pull.owner {
            Log.traceClient("relay", "relay: \(key) left worker \(pull.owner.worker), stop pulling")
            stop(key)
        }
        for s in Array(sources.sources.values) where s.consumerCount > 0 { playerJoined(s) }
    }

    private func start(_ source: LiveSource, from owner: PublishedStream) -> Bool {
        let key = source.key
        let request = UpstreamRequest(vhost: source.vhost, app: source.app, stream: source.stream)
        let ingester = StreamIngester(source: source, request: request, loop: loop) { done in
            done([.unix(path: owner.relay)])
        }
        do {
            try ingester.start()
        } catch {
            Log.warnRepeated("relay", "relay: \(key): \(error)")
            return false
        }
        let edge = config.current.vhost(source.vhost)?.cluster.isEdge ?? false
        if edge {
            ingester.onSessionError = { [weak self, weak ingester] error in
                guard let self, let ingester, self.pulls[key]?.ingester === ingester else { return }
                Log.warnRepeated("relay", "relay: \(key) from worker \(owner.worker) lost (\(error)), stop pulling")
                self.stop(key)
                // Its players wait for the stream again: from the worker the registry names next
                // (once the master has noticed the loss), or from the origin.
                self.loop.schedule(afterMs: Self.edgeRetryMs) { [weak self] in self?.onRetry?() }
            }
        }
        pulls[key] = (ingester, owner, edge)
        source.onLastConsumerLeft = { [weak self] in
            Log.traceClient("relay", "relay: \(key) has no player left, stop pulling")
            self?.stop(key)
        }
        Log.traceClient("relay", "relay: pull \(key) from worker \(owner.worker) (\(owner.relay))", cid: ingester.cid)
        return true
    }

    private func stop(_ key: StreamKey) {
        guard let pull = pulls.removeValue(forKey: key) else { return }
        pull.ingester.source.onLastConsumerLeft = nil
        pull.ingester.stop()
    }
}
