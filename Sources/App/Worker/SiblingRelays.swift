import Glibc
import System

/// Streams published on a sibling worker, pulled here for this worker's players: one pull per
/// stream, over the owner's relay socket, with the ingester an edge uses to pull from an origin.
/// A pull starts with the first local player (or when the stream appears on a sibling while
/// players wait here) and stops with the last player, or when the stream leaves its owner.
final class SiblingRelays {
    unowned let server: Server
    private var pulls: [String: (ingester: StreamIngester, owner: PublishedStream)] = [:]
    private let me = getpid()

    init(server: Server) { self.server = server }

    /// True when `key` is fed by a pull from a sibling (its API entry is not the publisher's).
    func isRelayed(_ key: String) -> Bool { pulls[key] != nil }

    /// A player joined `source` here (a vhost that is not an edge: edges pull from origins).
    func playerJoined(_ source: LiveSource) {
        guard pulls[source.key] == nil, !source.isPublished, let owner = server.siblings.owner(of: source.key),
              owner.worker != me, !owner.relay.isEmpty else { return }
        start(source, from: owner)
    }

    /// The registry changed: pulls whose stream left its owner stop (their players wait, or end
    /// for HTTP-FLV, as when a publisher leaves), and waiting players get their stream.
    func streamsChanged() {
        for (key, pull) in pulls where server.siblings.owner(of: key) != pull.owner {
            Log.trace("relay: \(key) left worker \(pull.owner.worker), stop pulling")
            stop(key)
        }
        for s in Array(server.sources.sources.values) where s.consumerCount > 0 { playerJoined(s) }
    }

    private func start(_ source: LiveSource, from owner: PublishedStream) {
        let key = source.key
        let request = UpstreamRequest(vhost: source.vhost, app: source.app, stream: source.stream)
        let ingester = StreamIngester(source: source, request: request, loop: server.loop) { done in
            done([.unix(path: owner.relay)])
        }
        do {
            try ingester.start()
        } catch {
            Log.warn("relay: \(key): \(error)")
            return
        }
        pulls[key] = (ingester, owner)
        source.onLastConsumerLeft = { [weak self] in
            Log.trace("relay: \(key) has no player left, stop pulling")
            self?.stop(key)
        }
        Log.trace("relay: pull \(key) from worker \(owner.worker) (\(owner.relay))", cid: ingester.cid)
    }

    private func stop(_ key: String) {
        guard let pull = pulls.removeValue(forKey: key) else { return }
        pull.ingester.source.onLastConsumerLeft = nil
        pull.ingester.stop()
    }
}
