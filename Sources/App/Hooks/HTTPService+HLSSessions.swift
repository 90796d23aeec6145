import Core
import Protocol
import System

/// `security` and on_play/on_stop for HLS players, through SRS 7's sessions (`hls_ctx`, on by
/// default): the first request of a playlist (without a known `hls_ctx`) is checked (the rules,
/// then on_play, as `SrsHlsStream::serve_new_session`) and answered with a one-line master
/// playlist naming the same playlist with `?hls_ctx=<id>` (the session id is the client_id of
/// its hooks); later requests with that id are served the playlist, its segment URIs carrying
/// the id too (`hls_ts_ctx`); a session not seen for twice hls_window ends with on_stop.
/// Refused: `403 Forbidden` (SRS closes the connection without an answer).
///
/// Only for vhosts that need it (security on, or an on_play or on_stop hook); other playlists
/// are plain files (SRS answers every first request with the master playlist). Segment
/// requests are never checked (as SRS). With several workers, a session's request that reaches
/// a worker that does not know it starts the session there too (checked again, same id, and
/// answered with the playlist itself, since its URL already names the session).
extension HTTPService {
    enum HLSSessionOutcome {
        /// Serve the file as usual.
        case notApplicable
        case response(HTTPResponse)
        /// Answered later, through `HTTPConnection.finish`.
        case deferred
    }

    func hlsPlaylistChecked(_ req: HTTPRequestHead, connection c: HTTPConnection) -> HLSSessionOutcome {
        guard req.method == "GET", req.path.hasSuffix(".m3u8") else { return .notApplicable }
        let host = RTMPRequest.splitHostPort(req.header("Host") ?? "", defaultPort: 80).0
        guard let vhost = config.current.vhost(host), vhost.hls.enabled, vhost.hooks.hlsSessions,
              vhost.security.enabled || !vhost.hooks.urls(.play).isEmpty || !vhost.hooks.urls(.stop).isEmpty,
              FileSystem.info(vhost.hls.path + req.path)?.isRegular == true else { return .notApplicable }
        let given = req.queryValue("hls_ctx").flatMap { Self.isSessionID($0) ? $0 : nil }
        if let id = given, hooks.hlsSessions.touch(id, now: loop.now) {
            return .response(sessionPlaylist(req, id: id, vhost: vhost))
        }
        // SRS's request for HLS: the stream keeps its extension, the tcUrl is http://host/app.
        let slash = req.path.lastIndex(of: "/") ?? req.path.startIndex
        let app = String(req.path[req.path.startIndex..<slash].drop { $0 == "/" })
        let stream = String(req.path[req.path.index(after: slash)...])
        let id = given ?? Log.newContextID()
        let client = HookClient(clientID: id, ip: c.socket.peerIP, vhost: vhost.name, app: app, stream: stream,
                                param: req.query.isEmpty ? "" : "?" + req.query, tcUrl: "http://\(host)/\(app)",
                                pageUrl: req.header("Referer") ?? "",
                                streamID: StableID.make(StreamKey(vhost: vhost.name, app: app, stream: String(stream.dropLast(".m3u8".count)))))
        if let why = vhost.security.refusal(.play, ip: c.socket.peerIP) {
            Log.warnRepeated("reject hls play", "hls: reject play \(vhost.name)\(req.path): security: \(why)", cid: c.cid)
            return .response(.text(403, "Forbidden\n"))
        }
        let accept = { [weak self] () -> HTTPResponse in
            guard let self else { return .text(503, "Service Unavailable\n") }
            self.hooks.hlsSessionStarted(client: client, expiresAfterMs: Int64(vhost.hls.window * 2000))
            Log.traceClient("hls: session", "hls: play \(vhost.name)\(req.path) as session \(id) for \(c.socket.peerIP)", cid: c.cid)
            return given == nil ? Self.masterPlaylist(req, id: id) : self.sessionPlaylist(req, id: id, vhost: vhost)
        }
        guard let _ = hooks.decide([(.play, vhost.hooks.urls(.play))], client: client, timeoutMs: vhost.hooks.timeoutMs, { [weak c] refusal in
            guard let c, !c.socket.closed else { return }
            Log.cid = c.cid
            if let refusal {
                Log.warnRepeated("reject hls play", "hls: reject play \(vhost.name)\(req.path): \(refusal)", cid: c.cid)
                c.finish(.text(403, "Forbidden\n"), to: req)
                return
            }
            c.finish(accept(), to: req)
        }) else { return .response(accept()) }
        return .deferred
    }

    /// SRS's answer to a new session: a master playlist whose one variant is this playlist in
    /// the session (the request's other parameters kept).
    static func masterPlaylist(_ req: HTTPRequestHead, id: String) -> HTTPResponse {
        let query = req.query.isEmpty ? "" : "&" + req.query
        let text = "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1,AVERAGE-BANDWIDTH=1\n\(req.path)?hls_ctx=\(id)\(query)\n"
        var r = HTTPResponse(status: 200, contentType: "application/vnd.apple.mpegurl", body: Array(text.utf8))
        r.headers.append(HTTPHeader("Cache-Control", "no-cache"))
        return r
    }

    /// The playlist file for a session: with hls_ts_ctx, SRS's rewrite of its segment URIs
    /// (`.ts?` → `.ts?hls_ctx=<id>&` when the playlist has such URIs, else `.ts` → `.ts?hls_ctx=<id>`).
    private func sessionPlaylist(_ req: HTTPRequestHead, id: String, vhost: VhostConfig) -> HTTPResponse {
        var r = files.serve(req)
        guard r.status == 200, vhost.hooks.hlsSessionSegments else { return r }
        let text = String(decoding: r.body, as: UTF8.self)
        let rewritten = text.contains(".ts?") ? text.replacingAll(".ts?", with: ".ts?hls_ctx=\(id)&")
                                              : text.replacingAll(".ts", with: ".ts?hls_ctx=\(id)")
        r.body = Array(rewritten.utf8)
        return r
    }

    /// A session id a client may name: 1 to 32 letters and digits (it becomes a hook's client_id).
    static func isSessionID(_ s: String) -> Bool {
        (1...32).contains(s.utf8.count) && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) }
    }
}

private extension String {
    func replacingAll(_ key: String, with value: String) -> String {
        var out = ""
        var rest = Substring(self)
        while let r = rest.firstRange(of: key) {
            out += rest[..<r.lowerBound]
            out += value
            rest = rest[r.upperBound...]
        }
        return out + rest
    }
}
