import Glibc
import System

extension Server {
    /// Makes this worker's origin hub: its children get this process's environment, without
    /// the variables that make `srs` a worker or a resumed master.
    func makeHub() -> OriginHub {
        let env = ProcessEnv.environment().filter { !$0.key.hasPrefix("SWIFTSRS_") }
        return OriginHub(loop: loop, config: config, identity: identity, environment: env,
                         publishedKeys: { [unowned self] in
                             Array(Set(siblings.streams.map(\.key))
                                 .union(sources.sources.values.filter { $0.isPublished && $0.publisherKind == .client }.map(\.key)))
                         },
                         resolver: { [unowned self] in cluster.resolver }, httpClient: { [unowned self] in cluster.httpClient })
    }

    /// A client started publishing `s` here: forward, transcode and exec start.
    func hubPublished(_ s: LiveSource) {
        guard let cid = s.publisherCID, let c = connection(cid) as? RTMPConnection else { return }
        let r = c.request
        // ffmpeg reads the stream back on the port the client used, if it is ours.
        let port = config.listen.contains { $0.port == r.port } ? r.port : (config.listen.first?.port ?? 1935)
        let stream = StreamProcessPlan.Stream(vhost: s.vhost, app: s.app, stream: s.stream, param: r.param, port: port,
                                              host: r.host, tcUrl: r.tcUrl, swfUrl: r.swfUrl, pageUrl: r.pageUrl)
        hub.published(s, publisher: OriginHub.Publisher(stream: stream, cid: cid, ip: c.socket.peerIP))
    }

    /// SIGCHLD: reaps every child that ended (this worker's transcodes and execs).
    public func reapChildren() {
        for exit in Spawn.reap() { hub.reaped(exit) }
    }
}
