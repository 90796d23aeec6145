import Glibc
import Protocol
import System

/// Edge and origin cluster for one worker (`Server.cluster`). Connections call in at a few
/// points (see `RTMPConnection+Cluster.swift`, `HTTPService+Cluster.swift`); this owns the rest:
///
/// - play edge: one `PlayEdge` (an upstream pull) per stream, started by its first player,
///   stopped when the source's last consumer leaves;
/// - publish edge: one `EdgeForwarder` per stream (a second publisher is refused);
/// - origin cluster: asking coworkers where a stream is (`OriginDiscovery`);
/// - token traverse: checking a client's tcUrl against an origin before serving it;
/// - names of origins and coworkers, resolved off the loop and refreshed (`HostAddressCache`).
final class ClusterService {
    unowned let server: Server
    private var resolverStorage: DNSResolver?
    private var resolverFailed = false
    private(set) lazy var hosts = HostAddressCache(loop: server.loop) { [unowned self] in self.resolver }
    private lazy var discovery = OriginDiscovery(loop: server.loop, hosts: hosts)
    private var playEdges: [String: PlayEdge] = [:]
    private var forwarders: [String: EdgeForwarder] = [:]
    private var tokenChecks: [String: RTMPClientSession] = [:]
    /// Which configured name an address came from (to look the name up again when it fails).
    private var addressNames: [UpstreamEndpoint: String] = [:]
    private var publishRoundRobin = ReconnectPolicy()

    init(server: Server) { self.server = server }

    /// The async resolver, opened on first use (nil if the pipe cannot be made: names then fail).
    var resolver: DNSResolver? {
        if let r = resolverStorage { return r }
        guard !resolverFailed else { return nil }
        do {
            resolverStorage = try DNSResolver(loop: server.loop)
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
    func playEdge(_ key: String) -> PlayEdge? { playEdges[key] }

    // MARK: - Upstream endpoints

    /// Every address of the vhost's configured origins, read from the config at each call (so a
    /// reload applies at the next attempt).
    func originEndpoints(vhost: String) -> StreamIngester.EndpointProvider {
        { [weak self] done in
            guard let self, let v = self.server.config.vhost(vhost) else {
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

    // MARK: - Edge play

    /// A player joined `source` on an edge vhost: make sure the stream is pulled from an origin.
    func edgePlayerJoined(source: LiveSource, request: UpstreamRequest, vhost: VhostConfig) {
        guard vhost.cluster.isEdge, playEdges[source.key] == nil else { return }
        guard !source.isPublished else { return }
        if vhost.cluster.upstreamProtocol != "rtmp" {
            Log.warn("edge \(vhost.name): cluster protocol \(vhost.cluster.upstreamProtocol) is not supported, pulling with rtmp")
        }
        source.gopCacheEnabled = vhost.play.gopCache
        source.gopCacheMaxFrames = vhost.play.gopCacheMaxFrames
        let ingester = StreamIngester(source: source, request: request, loop: server.loop, resolver: resolver,
                                      options: ingestOptions, endpoints: originEndpoints(vhost: vhost.name))
        ingester.onSessionError = { [weak self] e in self?.upstreamFailed(e) }
        let edge = PlayEdge(ingester: ingester)
        let key = source.key
        edge.onStopped = { [weak self, weak source] in
            self?.playEdges.removeValue(forKey: key)
            source?.onLastConsumerLeft = nil
        }
        guard edge.start() else { return }
        playEdges[key] = edge
        source.onLastConsumerLeft = { [weak edge] in edge?.stop() }
    }

    private var ingestOptions: StreamIngester.Options {
        var o = StreamIngester.Options()
        o.chunkSize = server.config.chunkSize
        return o
    }

    // MARK: - Edge publish

    /// A client publishes on an edge vhost: a forwarder to an origin, or nil when this edge
    /// already forwards the stream (the second publisher is refused).
    func edgePublish(source: LiveSource, request: UpstreamRequest, vhost: VhostConfig, cid: String) -> EdgeForwarder? {
        guard forwarders[source.key] == nil else { return nil }
        let f = EdgeForwarder(request: request, source: source, loop: server.loop, resolver: resolver,
                              chunkSize: server.config.chunkSize, cid: cid,
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
        let s = RTMPClientSession(endpoint: list[index], request: upstream, mode: .connectOnly, loop: server.loop,
                                  resolver: resolver, cid: cid)
        tokenChecks[key] = s
        s.onReady = { [weak self, weak s] in
            self?.tokenChecks.removeValue(forKey: key)
            s?.close()
            Log.trace("edge token auth ok, tcUrl=\(upstream.clientTcUrl ?? "")", cid: cid)
            done(nil)
        }
        s.onClose = { [weak self] e in
            guard let self else { return }
            self.tokenChecks.removeValue(forKey: key)
            if case .connect = e {
                Log.warn("Illegal edge token, tcUrl=\(upstream.clientTcUrl ?? ""), \(e)", cid: cid)
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
        let key = "\(vhost.name)/\(app)/\(stream)"
        if server.sources.find(vhost: vhost.name, app: app, stream: stream)?.isPublished == true { return false }
        return server.siblings.owner(of: key) == nil
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
