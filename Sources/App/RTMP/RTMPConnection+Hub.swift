import Core
import System

extension RTMPConnection {
    /// What the origin hub needs of this publisher of `s` (forward, transcode and exec templates).
    func hubPublisher(of s: LiveSource) -> OriginHub.Publisher {
        let r = request
        let listen = config.current.listen
        // ffmpeg reads the stream back on the port the client used, if it is ours.
        let port = listen.contains { $0.port == r.port } ? r.port : (listen.first?.port ?? 1935)
        let stream = StreamProcessPlan.Stream(vhost: s.vhost, app: s.app, stream: s.stream, param: r.param, port: port,
                                              host: r.host, tcUrl: r.tcUrl, swfUrl: r.swfUrl, pageUrl: r.pageUrl)
        return OriginHub.Publisher(stream: stream, cid: cid, ip: socket.peerIP)
    }
}
