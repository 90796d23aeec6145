import Core
import Kernel
import Protocol
import System

/// What an RTMP connection remembers of the cluster features.
struct RTMPClusterState {
    /// The token-traverse check of `connect` runs (the session holds later messages meanwhile).
    var checkingToken = false
    /// An origin-cluster discovery for this player is running (or it was redirected).
    var redirecting = false
}

/// The RTMP side of the edge and origin cluster: the few calls `RTMPConnection+Commands.swift`
/// makes, so that file stays about the protocol.
extension RTMPConnection {
    /// True for a client publishing here or through this edge.
    var isPublisherRole: Bool {
        switch role {
        case .publisher, .edgePublisher: return true
        case .none, .player: return false
        }
    }

    // MARK: - Token traverse (connect)

    /// On an edge vhost with `token_traverse on`: holds the client (its `connect` answer and every
    /// later message, which the session keeps) until an origin accepted its tcUrl. Returns true
    /// when the check started.
    func startTokenTraverse(vhost: VhostConfig) -> Bool {
        guard vhost.cluster.isEdge && vhost.cluster.tokenTraverse else { return false }
        clusterState.checkingToken = true
        pauseReading(.tokenTraverse, true)
        cluster.checkToken(request: request, vhost: vhost, cid: cid) { [weak self] error in
            guard let self, !self.socket.closed else { return }
            Log.cid = self.cid
            self.clusterState.checkingToken = false
            if let error {
                Log.warnRepeated("reject client", "reject client: edge token traverse failed, tcUrl=\(self.request.tcUrl): \(error)", cid: self.cid)
                self.rtmp.rejectConnect(description: "edge token traverse failed")
                self.writeOutput()
                self.closeAfterRefusal()
                return
            }
            self.acceptConnect()
            self.pauseReading(.tokenTraverse, false)
            do {
                try self.handleEvents()
            } catch {
                self.fail("\(error)")
            }
        }
        return true
    }

    /// The connection closed: stop its pending cluster work.
    func clusterConnectionClosed() {
        if clusterState.checkingToken { cluster.cancelTokenCheck(cid: cid) }
    }

    // MARK: - Play

    /// Origin cluster: a play of a stream not published here asks the coworkers where it is and
    /// answers with SRS's RTMP 302 (after Play.Start, as SRS), then closes within 3 s; when no
    /// coworker has it the player is closed (SRS: "no origin"). Returns true when it took over.
    func redirectPlayIfElsewhere(source: LiveSource, vhost: VhostConfig) -> Bool {
        guard cluster.shouldDiscover(vhost: vhost, app: source.app, stream: source.stream) else { return false }
        clusterState.redirecting = true
        let r = request
        cluster.discoverOrigin(vhost: vhost, app: r.app, stream: r.stream, clientHost: r.host, cid: cid) { [weak self] origin in
            guard let self, !self.socket.closed else { return }
            Log.cid = self.cid
            guard let origin else {
                self.fail("origin cluster: no origin has \(source.key)")
                return
            }
            let url = ClusterService.redirectURL(origin, request: r)
            Log.traceClient("rtmp: redirect in cluster", "rtmp: redirect in cluster, from=\(r.host):\(r.port), target=\(origin.ip):\(origin.port), rurl=\(url)", cid: self.cid)
            self.rtmp.redirect(to: url)
            self.writeOutput()
            // SRS waits up to 3 s for the client to answer, then closes; a client that follows
            // the redirect closes first.
            self.loop.schedule(afterMs: 3000) { [weak self] in self?.socket.closeWhenFlushed() }
        }
        return true
    }

    /// A player was added to `source`: on an edge, the stream is pulled from an origin; else,
    /// when a sibling worker publishes it, from that worker.
    func playerJoinedCluster(source: LiveSource, vhost: VhostConfig) {
        cluster.playerJoined(source, vhost: vhost, upstream: UpstreamRequest(client: request, cluster: vhost.cluster))
    }

    // MARK: - Publish

    /// On an edge vhost a publish is forwarded to an origin (SRS's publish edge): the client is
    /// answered at once and what it sends is forwarded; a second publisher of the stream on this
    /// edge is refused; losing the upstream ends the client. Returns true when it took over.
    func publishThroughEdge(vhost: VhostConfig) -> Bool {
        guard vhost.cluster.isEdge else { return false }
        let source = sources.fetchOrCreate(request.streamKey, now: loop.now)
        guard let f = cluster.edgePublish(source: source, request: UpstreamRequest(client: request, cluster: vhost.cluster),
                                                 vhost: vhost, cid: cid) else {
            Log.warnRepeated("reject publish", "reject publish: stream \(source.key) is busy (edge already forwards it)", cid: cid)
            rejectBusyPublish()
            return true
        }
        role = .edgePublisher(f)
        lastMediaMs = loop.now
        f.onFailure = { [weak self] error in
            guard let self else { return }
            Log.cid = self.cid
            self.fail("edge publish upstream: \(error)")
        }
        f.onBackpressure = { [weak self] paused in self?.pauseReading(.upstreamBackpressure, paused) }
        rtmp.acceptPublish()
        writeOutput()
        Log.traceClient("start publish stream", "\(rtmp.isFMLE ? "FMLE" : "flash") start publish stream \(source.key) through edge, tcUrl=\(request.tcUrl)", cid: cid)
        return true
    }

    /// A message from an edge publisher: straight to its forwarder (the origin does the rest).
    func forwardEdgePublish(_ m: RTMPMessage) -> Bool {
        guard case .edgePublisher(let f) = role else { return false }
        if m.isMedia {
            lastMediaMs = loop.now
            gotFirstMedia = true
        }
        f.forward(m)
        return true
    }
}
