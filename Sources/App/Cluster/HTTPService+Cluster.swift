import Core
import Protocol
import System

/// The HTTP-FLV side of the edge and origin cluster, called by `HTTPService.serveFLV` once a
/// request fits a vhost's mount.
extension HTTPService {
    /// On an edge vhost the player is served from the edge's pull of the stream (started by the
    /// first player, HTTP-FLV or RTMP). On an origin-cluster node without the stream, the
    /// coworkers are asked and the player is sent there with `302 Found` (SRS sends no HTTP
    /// redirect; the coworker's HTTP port is our extension of the clusters answer). Nil when
    /// neither applies.
    func clusterFLV(_ req: HTTPRequestHead, vhost: VhostConfig, app: String, stream: String,
                    connection c: HTTPConnection) -> FLVOutcome? {
        if vhost.cluster.isEdge {
            if req.method == "HEAD" {
                var r = HTTPResponse(status: 200, contentType: vhost.httpRemux.format.contentType)
                r.headers.append(HTTPHeader("Cache-Control", "no-cache"))
                return .response(r)
            }
            return playFLVChecked(req, vhost: vhost, app: app, stream: stream, connection: c) { [unowned self] in
                let source = sources.fetchOrCreate(StreamKey(vhost: vhost.name, app: app, stream: stream), now: loop.now)
                Log.traceClient("flv: start play", "flv: start play \(source.key) for \(c.socket.peerIP) on edge, consumers=\(source.consumerCount + 1)", cid: c.cid)
                c.flv = HTTPLivePlayer(source: source, connection: c, play: vhost.play, hasAudio: vhost.httpRemux.hasAudio,
                                      hasVideo: vhost.httpRemux.hasVideo, format: vhost.httpRemux.format)
                let upstream = UpstreamRequest(vhost: vhost.name, app: app, stream: stream, query: req.query, cluster: vhost.cluster)
                cluster.edgePlayerJoined(source: source, request: upstream, vhost: vhost)
            }
        }
        guard cluster.shouldDiscover(vhost: vhost, app: app, stream: stream) else { return nil }
        let clientHost = RTMPRequest.splitHostPort(req.header("Host") ?? "", defaultPort: 80).0
        cluster.discoverOrigin(vhost: vhost, app: app, stream: stream, clientHost: clientHost, cid: c.cid) { [weak c] origin in
            guard let c else { return }
            guard let origin, let port = origin.httpPort else {
                if let origin {
                    Log.warnRepeated("origin cluster", "flv: \(app)/\(stream) is on \(origin.ip):\(origin.port), which tells no HTTP port", cid: c.cid)
                }
                c.finish(.text(404, "Stream Not Found\n"), to: req)
                return
            }
            let host = origin.ip.contains(":") ? "[\(origin.ip)]" : origin.ip
            let location = "http://\(host):\(port)\(req.target)"
            Log.traceClient("flv: redirect", "flv: redirect \(vhost.name)/\(app)/\(stream) to \(location)", cid: c.cid)
            c.finish(.redirect(location), to: req)
        }
        return .deferred
    }
}
