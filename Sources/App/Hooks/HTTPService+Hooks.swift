import Core
import Protocol
import System

/// `security` and `http_hooks` for HTTP-FLV players, as SRS 7's `SrsLiveStream::serve_http`:
/// the vhost's security rules, then on_play (HTTP players get no on_connect or on_close), with
/// SRS's request (`tcUrl` `rtmp://<vhost>/<app>`, `pageUrl` from `Referer`). A refusal is
/// answered `403 Forbidden` (SRS closes the connection without an answer). The end of an
/// accepted play sends on_stop.
extension HTTPService {
    /// Starts an HTTP-FLV player with `start` once the access checks pass: at once (nothing to
    /// check, or HEAD), `403` when the rules refuse, or later when hooks answered (`.deferred`;
    /// a refusal is then answered 403).
    func playFLVChecked(_ req: HTTPRequestHead, vhost: VhostConfig, app: String, stream: String, connection c: HTTPConnection,
                        start: @escaping () -> Void) -> FLVOutcome {
        let client = flvHookClient(req, vhost: vhost, app: app, stream: stream, connection: c)
        if let why = vhost.security.refusal(.play, ip: c.socket.peerIP) {
            Log.warnRepeated("reject flv play", "flv: reject play \(vhost.name)/\(app)/\(stream): security: \(why)", cid: c.cid)
            return .response(.text(403, "Forbidden\n"))
        }
        let started = { [weak self, weak c] in
            guard let self, let c else { return }
            start()
            if c.flv != nil { self.hooks.streamStarted(.play, client: client) }
        }
        guard req.method == "GET", let _ = hooks.decide([(.play, vhost.hooks.urls(.play))], client: client,
                                                               timeoutMs: vhost.hooks.timeoutMs, { [weak c] refusal in
            guard let c, !c.socket.closed else { return }
            Log.cid = c.cid
            if let refusal {
                Log.warnRepeated("reject flv play", "flv: reject play \(vhost.name)/\(app)/\(stream): \(refusal)", cid: c.cid)
                c.finish(.text(403, "Forbidden\n"), to: req)
                return
            }
            started()
        }) else {
            started()
            return .streaming
        }
        return .deferred
    }

    /// An HTTP-FLV client as SRS's `SrsHttpMessage::to_request` describes it in hook bodies.
    private func flvHookClient(_ req: HTTPRequestHead, vhost: VhostConfig, app: String, stream: String,
                               connection c: HTTPConnection) -> HookClient {
        HookClient(clientID: c.cid, ip: c.socket.peerIP, vhost: vhost.name, app: app, stream: stream,
                   param: req.query.isEmpty ? "" : "?" + req.query, tcUrl: "rtmp://\(vhost.name)/\(app)",
                   pageUrl: req.header("Referer") ?? "", streamID: StableID.make(StreamKey(vhost: vhost.name, app: app, stream: stream)))
    }
}
