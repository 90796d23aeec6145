import Core
import Glibc
import Protocol
import System

/// Edge and origin cluster for one worker, and where a player's stream comes from when it is
/// not published here. Connections call in at a few points (see `RTMPConnection+Cluster.swift`,
/// `HTTPService+Cluster.swift`); this owns the rest:
///
/// - play edge: one `PlayEdge` (an upstream pull) per stream and edge, started by its first
///   player, stopped when the source's last consumer leaves; with several workers, one of them
///   pulls (claimed through the master) and the others relay from it;
/// - publish edge: one `EdgeForwarder` per stream (a second publisher is refused);
/// - origin cluster: asking coworkers where a stream is (`OriginDiscovery`);
/// - token traverse: checking a client's tcUrl against an origin before serving it;
/// - names of origins and coworkers, resolved off the loop and refreshed (`HostAddressCache`).
final class ClusterService {
    private let loop: EventLoop
    private let config: ConfigStore
    private let sources: SourceManager
    private let siblings: SiblingLink
    private let relays: SiblingRelays
    private let status: WorkerStatus
    private var resolverStorage: DNSResolver?
    private var resolverFailed = false
    private(set) lazy var hosts = HostAddressCache(loop: loop) { [unowned self] in self.resolver }
    /// Calls to coworkers' APIs and forward backends (kept-alive connections, bounded).
    private(set) lazy var httpClient = HTTPClientPool(loop: loop, hosts: hosts,
                                                 limits: HTTPClientPool.Limits(maxActive: OriginDiscovery.maxPeers, maxQueued: 1024))
    private lazy var discovery = OriginDiscovery(client: httpClient, hosts: hosts)
    private var playEdges: [StreamKey: PlayEdge] = [:]
    /// Edge streams claimed from the master, waiting for its answer: the registry naming this
    /// worker (pull from the origin) or another one (a conflict: pull from there).
    private var claims: [StreamKey: (source: LiveSource, request: UpstreamRequest)] = [:]
    private var forwarders: [StreamKey: EdgeForwarder] = [:]
    private var tokenChecks: [String: RTMPClientSession] = [:]
    /// Which configured name an address came from (to look the name up again when it fails).
    private var addressNames: [UpstreamEndpoint: String] = [:]
    private var publishRoundRobin = ReconnectPolicy()

    init(loop: EventLoop, config: ConfigStore, sources: SourceManager, siblings: SiblingLink, relays: SiblingRelays,
         status: WorkerStatus) {
        self.loop = loop
        self.config = config
        self.sources = sources
        self.siblings = siblings
        self.relays = relays
        self.status = status
    }

    /// The async resolver, opened on first use (nil if the pipe cannot be made: names then fail).
    var resolver: DNSResolver? {
        if let r = resolverStorage { return r }
        guard !resolverFailed else { return nil }
        do {
            resolverStorage = try DNSResolver(loop: loop)
        } catch {
            resolverFailed = true
            Log.error("dns resolver: \(error)")
        }
        return resolverStorage
    }

    /// Streams pulled from an origin right now.
    var pullCount: Int { playEdges.count }
    /// Streams forwarded to an origin right now.
    var pushCount: Int { forwarders.count }
    func playEdge(_ key: StreamKey) -> PlayEdge? { playEdges[key] }

    // MARK: - Upstream endpoints

    /// Every address of the vhost's configured origins, read from the config at each call (so a
    /// reload applies at the next attempt).
    func originEndpoints(vhost: String) -> StreamIngester.EndpointProvider {
        { [weak self] done in
            guard let self, let v = self.config.current.vhost(vhost) else {
                done([])
                return
            }
            self.hosts.expand(v.cluster.origins) { [weak self] pairs in
                var list: [UpstreamEndpoint] = []
                for (peer, address) in pairs {
                    let e = UpstreamEndpoint.tcp(host: address, port: peer.port)
                    if !DNSResolver.isIPLiteral(peer.host), self?.addressNames.count ?? 0 < 4096 { self?.addressNames[e] = peer.host }
                    list.append(e)
                }
                done(list)
            }
        }
    }

    /// A session to `error.endpoint` failed: its name (if any) is looked up again before next use.
    private func upstreamFailed(_ error: RTMPClientError) {
        switch error {
        case .connect, .closed, .timeout:
            if let name = addressNames[error.endpoint] { hosts.invalidate(name) }
        default:
            break
        }
    }

    // MARK: - Players

    /// A player joined `source` here: on an edge vhost the stream is pulled from an origin
    /// (`upstream`: what to ask it for), once per edge; elsewhere, when a sibling worker
    /// publishes it, from that worker.
    func playerJoined(_ source: LiveSource, vhost: VhostConfig, upstream: @autoclosure () -> UpstreamRequest) {
        guard vhost.cluster.isEdge else {
            relays.playerJoined(source)
            return
        }
        edgePlayerJoined(source: source, request: upstream(), vhost: vhost)
    }

    // MARK: - Edge play

    /// A player joined `source` on an edge vhost: make sure the stream is pulled from an origin,
    /// once per edge rather than once per worker. With sibling workers, the stream is claimed
    /// from the master first: the worker it grants pulls from the origin, the others pull from
    /// that worker (`SiblingRelays`), so the origin sees one client per edge.
    func edgePlayerJoined(source: LiveSource, request: UpstreamRequest, vhost: VhostConfig) {
        let key = source.key
        guard vhost.cluster.isEdge, playEdges[key] == nil, claims[key] == nil, !source.isPublished else { return }
        if relays.playerJoined(source) { return }
        // Alone, or quitting (its siblings must not depend on it): pull without a claim.
        guard siblings.linked, !status.isDraining else {
            startPull(source, request: request, vhost: vhost)
            return
        }
        claims[key] = (source, request)
        siblings.published(key)
    }

    /// The master refused our claim of `key`: another worker pulls it. False when `key` was not
    /// one of our claims.
    func claimRefused(_ key: StreamKey) -> Bool {
        guard claims[key] != nil else { return false }
        streamsChanged()
        return true
    }

    /// The registry of the master changed: settles our claims, and claims again the edge
    /// streams that players here wait for while nobody pulls them (their puller quit).
    func streamsChanged() {
        let me = siblings.me
        for (key, claim) in claims {
            guard let owner = siblings.owner(of: key) else { continue }
            claims.removeValue(forKey: key)
            let source = claim.source
            if owner.worker != me {
                relays.playerJoined(source)
            } else if source.consumerCount > 0, let vhost = config.current.vhost(source.vhost), vhost.cluster.isEdge {
                startPull(source, request: claim.request, vhost: vhost)
            } else {
                siblings.unpublished(key)
            }
        }
        // Only streams nobody claims: one a sibling holds is relayed from it (`SiblingRelays`).
        for source in sources.sources.values where source.consumerCount > 0 && !source.isPublished {
            guard siblings.owner(of: source.key) == nil, let vhost = config.current.vhost(source.vhost),
                  vhost.cluster.isEdge else { continue }
            let request = UpstreamRequest(vhost: source.vhost, app: source.app, stream: source.stream, query: "", cluster: vhost.cluster)
            edgePlayerJoined(source: source, request: request, vhost: vhost)
        }
    }

    /// Retired by an upgrade: the streams this worker pulls are the new workers' to claim (they
    /// stop relaying from here and claim them anew); its own players keep its pulls.
    func releaseClaims() {
        for key in playEdges.keys { siblings.unpublished(key) }
        let pending = claims
        claims.removeAll()
        for (key, claim) in pending {
            siblings.unpublished(key)
            guard claim.source.consumerCount > 0, let vhost = config.current.vhost(claim.source.vhost), vhost.cluster.isEdge else { continue }
            edgePlayerJoined(source: claim.source, request: claim.request, vhost: vhost)
        }
    }

    /// Pulls `source` from an origin for this worker's players (and its siblings' relays).
    private func startPull(_ source: LiveSource, request: UpstreamRequest, vhost: VhostConfig) {
        if vhost.cluster.upstreamProtocol != "rtmp" {
            Log.warn("edge \(vhost.name): cluster protocol \(vhost.cluster.upstreamProtocol) is not supported, pulling with rtmp")
        }
        let ingester = StreamIngester(source: source, request: request, loop: loop, resolver: resolver,
                                      options: ingestOptions, endpoints: originEndpoints(vhost: vhost.name))
        ingester.onSessionError = { [weak self] e in self?.upstreamFailed(e) }
        let edge = PlayEdge(ingester: ingester)
        let key = source.key
        edge.onStopped = { [weak self, weak source] in
            self?.playEdges.removeValue(forKey: key)
            source?.onLastConsumerLeft = nil
            self?.siblings.unpublished(key)
        }
        guard edge.start() else {
            siblings.unpublished(key)
            return
        }
        playEdges[key] = edge
        source.onLastConsumerLeft = { [weak edge] in edge?.stop() }
    }

    private var ingestOptions: StreamIngester.Options {
        var o = StreamIngester.Options()
        o.chunkSize = config.current.chunkSize
        return o
    }

    // MARK: - Edge publish

    /// A client publishes on an edge vhost: a forwarder to an origin, or nil when this edge
    /// already forwards the stream (the second publisher is refused).
    func edgePublish(source: LiveSource, request: UpstreamRequest, vhost: VhostConfig, cid: String) -> EdgeForwarder? {
        guard forwarders[source.key] == nil else { return nil }
        let f = EdgeForwarder(request: request, source: source, loop: loop, resolver: resolver,
                              chunkSize: config.current.chunkSize, cid: cid,
                              pickFirst: { [weak self] n in self?.publishRoundRobin.nextIndex(count: n) ?? 0 },
                              endpoints: originEndpoints(vhost: vhost.name))
        forwarders[source.key] = f
        f.start()
        return f
    }

    /// The edge publisher left (or failed): forget its forwarder.
    func edgePublishEnded(_ f: EdgeForwarder) {
        f.stop()
        if forwarders[f.source.key] === f { forwarders.removeValue(forKey: f.source.key) }
    }

    // MARK: - Token traverse

    /// SRS's token traverse: before an edge serves a client, connect to an origin with the client's
    /// tcUrl, so the origin (its hooks) decides. Origins that cannot be reached are skipped; the
    /// first one that answers decides. `done(nil)` when accepted.
    func checkToken(request: RTMPRequest, vhost: VhostConfig, cid: String, _ done: @escaping (RTMPClientError?) -> Void) {
        let upstream = UpstreamRequest(vhost: request.vhost, app: request.app, stream: "", param: request.param,
                                       clientTcUrl: request.tcUrl)
        originEndpoints(vhost: vhost.name)({ [weak self] list in
            self?.tryToken(upstream, list, index: 0, cid: cid, last: nil, done)
        })
    }

    private func tryToken(_ upstream: UpstreamRequest, _ list: [UpstreamEndpoint], index: Int, cid: String,
                          last: RTMPClientError?, _ done: @escaping (RTMPClientError?) -> Void) {
        guard index < list.count else {
            done(last ?? .connect(.tcp(host: upstream.vhost, port: 0), SystemError("connect", errno: EHOSTUNREACH, context: "no origin address")))
            return
        }
        let key = cid
        let s = RTMPClientSession(endpoint: list[index], request: upstream, mode: .connectOnly, loop: loop,
                                  resolver: resolver, cid: cid)
        tokenChecks[key] = s
        s.onReady = { [weak self, weak s] in
            self?.tokenChecks.removeValue(forKey: key)
            s?.close()
            Log.traceClient("edge token auth ok", "edge token auth ok, tcUrl=\(upstream.clientTcUrl ?? "")", cid: cid)
            done(nil)
        }
        s.onClose = { [weak self] e in
            guard let self else { return }
            self.tokenChecks.removeValue(forKey: key)
            if case .connect = e {
                Log.warnRepeated("reject client", "Illegal edge token, tcUrl=\(upstream.clientTcUrl ?? ""), \(e)", cid: cid)
                self.tryToken(upstream, list, index: index + 1, cid: cid, last: e, done)
            } else {
                done(e)
            }
        }
        s.start()
    }

    /// The client went away during its token check.
    func cancelTokenCheck(cid: String) {
        tokenChecks.removeValue(forKey: cid)?.close()
    }

    // MARK: - Origin cluster

    /// Whether a play of `vhost/app/stream` must be redirected: origin cluster on, not an edge,
    /// and the stream published neither here nor on a sibling worker (SRS: `!edge &&
    /// origin_cluster && source->inactive()`).
    func shouldDiscover(vhost: VhostConfig, app: String, stream: String) -> Bool {
        guard vhost.cluster.originCluster && !vhost.cluster.isEdge && !vhost.cluster.coworkers.isEmpty else { return false }
        let key = StreamKey(vhost: vhost.name, app: app, stream: stream)
        if sources.find(key)?.isPublished == true { return false }
        return siblings.owner(of: key) == nil
    }

    /// Asks the vhost's coworkers where `app/stream` is published.
    func discoverOrigin(vhost: VhostConfig, app: String, stream: String, clientHost: String, cid: String,
                        _ done: @escaping (DiscoveredOrigin?) -> Void) {
        discovery.discover(vhost: vhost.name, app: app, stream: stream, clientHost: clientHost,
                           coworkers: vhost.cluster.coworkers, cid: cid, done)
    }

    /// SRS's redirect URL: `rtmp://ip:port/app/stream?params`, with `vhost=` added when the vhost
    /// is not the default one (or the client named a host that is not an address).
    static func redirectURL(_ origin: DiscoveredOrigin, request r: RTMPRequest) -> String {
        let host = origin.ip.contains(":") ? "[\(origin.ip)]" : origin.ip
        var query = r.param.hasPrefix("?") ? String(r.param.dropFirst()) : r.param
        if !query.contains("vhost=") {
            var guess = ""
            if r.vhost != VhostConfig.defaultName {
                guess = r.vhost
            } else if !r.host.isEmpty && !DNSResolver.isIPLiteral(r.host) {
                guess = r.host
            }
            if !guess.isEmpty { query += (query.isEmpty ? "" : "&") + "vhost=" + guess }
        }
        return "rtmp://\(host):\(origin.port)/\(r.app)/\(r.stream)" + (query.isEmpty ? "" : "?" + query)
    }
}
