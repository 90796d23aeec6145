import Core
import Kernel
import Protocol
import System

/// Routes HTTP requests: health probes, the API, HTTP-FLV live streams, static files.
final class HTTPService {
    let loop: EventLoop
    let config: ConfigStore
    let sources: SourceManager
    let siblings: SiblingLink
    let cluster: ClusterService
    let api: HTTPAPI
    let files: StaticFiles
    /// http_hooks and security of HTTP-FLV and HLS players.
    let hooks: HookService
    private let status: WorkerStatus

    init(loop: EventLoop, config: ConfigStore, sources: SourceManager, siblings: SiblingLink, cluster: ClusterService,
         api: HTTPAPI, files: StaticFiles, hooks: HookService, status: WorkerStatus) {
        self.loop = loop
        self.config = config
        self.sources = sources
        self.siblings = siblings
        self.cluster = cluster
        self.api = api
        self.files = files
        self.hooks = hooks
        self.status = status
    }

    /// A response, or nil when the connection now streams (HTTP-FLV).
    func route(_ req: HTTPRequestHead, body: [UInt8], connection c: HTTPConnection) -> HTTPResponse? {
        if req.method == "OPTIONS" { return HTTPResponse(status: 200) }
        switch req.path {
        case "/healthz":
            return .text(200, "ok\n")
        case "/readyz":
            return status.isDraining ? .text(503, "draining\n") : .text(200, "ready\n")
        default:
            break
        }
        if c.servesAPI, req.path == "/metrics" {
            return api.metrics(req, c)
        }
        if c.servesAPI, Self.isAPI(req) || !c.servesFiles {
            return api.handle(req, body: body, connection: c)
        }
        guard c.servesFiles else { return .text(404, "Not Found\n") }
        if LiveRemuxFormat.allCases.contains(where: { req.path.hasSuffix($0.fileExtension) }) {
            switch serveFLV(req, connection: c) {
            case .notMounted: break
            case .response(let r): return r
            case .streaming, .deferred: return nil
            }
        }
        guard req.method == "GET" || req.method == "HEAD" else { return .text(405, "Method Not Allowed\n") }
        switch hlsPlaylistChecked(req, connection: c) {
        case .notApplicable: return files.serve(req)
        case .response(let r): return r
        case .deferred: return nil
        }
    }

    /// True for the API's paths (`/api`, `/api/...`).
    static func isAPI(_ req: HTTPRequestHead) -> Bool { req.path == "/api" || req.path.hasPrefix("/api/") }

    /// `deferred`: the answer comes later, through `HTTPConnection.finish`.
    enum FLVOutcome { case notMounted, response(HTTPResponse), streaming, deferred }

    /// Starts an HTTP live stream (FLV, TS, AAC, MP3: the mount's extension) when the path fits
    /// a vhost's http_remux mount. A path that fits no mount may still be a static file.
    private func serveFLV(_ req: HTTPRequestHead, connection c: HTTPConnection) -> FLVOutcome {
        let host = RTMPRequest.splitHostPort(req.header("Host") ?? "", defaultPort: 80).0
        guard let vhost = config.current.vhost(host), vhost.httpRemux.enabled,
              let (app, stream) = FLVMount.match(template: vhost.httpRemux.mount, path: req.path) else { return .notMounted }
        // The parser already refused control characters in the path and query; the rest of the
        // name rule (the Host as vhost) is the same as for RTMP.
        if let bad = StreamName.refusal(vhost: host, app: app, stream: stream, param: req.query) {
            Log.warnRepeated("reject flv play", "flv: refuse \(bad)", cid: c.cid)
            return .response(.text(400, "Bad Request\n"))
        }
        guard req.method == "GET" || req.method == "HEAD" else { return .response(.text(405, "Method Not Allowed\n")) }
        if let outcome = clusterFLV(req, vhost: vhost, app: app, stream: stream, connection: c) { return outcome }
        // Published here, or on a sibling worker (then pulled from there for this player).
        let key = StreamKey(vhost: vhost.name, app: app, stream: stream)
        let local = sources.find(key)
        let live = local?.isPublished == true || siblings.owner(of: key) != nil
        // A GET of a stream not published yet waits for its publisher (bounded).
        let waitMs = Int64(vhost.httpRemux.publishWaitMs)
        guard live || (waitMs > 0 && req.method == "GET") else {
            return .response(.text(404, "Stream Not Found\n"))
        }
        let format = vhost.httpRemux.format
        if req.method == "HEAD" {
            var r = HTTPResponse(status: 200, contentType: format.contentType)
            r.headers.append(HTTPHeader("Cache-Control", "no-cache"))
            return .response(r)
        }
        return playFLVChecked(req, vhost: vhost, app: app, stream: stream, connection: c) { [unowned self] in
            let source = sources.fetchOrCreate(key, now: loop.now)
            Log.traceClient("flv: start play", "flv: start play \(source.key) for \(c.socket.peerIP), consumers=\(source.consumerCount + 1)", cid: c.cid)
            c.flv = HTTPLivePlayer(source: source, connection: c, play: vhost.play, hasAudio: vhost.httpRemux.hasAudio,
                                  hasVideo: vhost.httpRemux.hasVideo, format: format, waitMs: live ? nil : waitMs)
            cluster.playerJoined(source, vhost: vhost,
                                 upstream: UpstreamRequest(vhost: vhost.name, app: app, stream: stream, query: req.query, cluster: vhost.cluster))
        }
    }
}

/// Matches a request path against an http_remux mount like `[vhost]/[app]/[stream].flv`.
enum FLVMount {
    /// (app, stream) when `path` fits `template`. `[vhost]/` is matched by the Host header, not the path.
    static func match(template: String, path: String) -> (String, String)? {
        var t = Substring(template)
        if t.hasPrefix("/") { t = t.dropFirst() }
        if t.hasPrefix("[vhost]/") { t = t.dropFirst("[vhost]/".count) }
        let tparts = t.split(separator: "/", omittingEmptySubsequences: false)
        let pparts = path.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        guard tparts.count == pparts.count, !tparts.isEmpty else { return nil }
        var app: String?
        var stream: String?
        for (tp, pp) in zip(tparts, pparts) {
            guard let vars = matchSegment(String(tp), String(pp)) else { return nil }
            if let a = vars["app"] { app = a }
            if let s = vars["stream"] { stream = s }
        }
        guard let a = app, let s = stream, !a.isEmpty, !s.isEmpty else { return nil }
        return (a, s)
    }

    /// Matches one segment with at most one `[var]` and literal text around it.
    private static func matchSegment(_ t: String, _ p: String) -> [String: String]? {
        guard let open = t.firstIndex(of: "["), let close = t[open...].firstIndex(of: "]") else {
            return t == p ? [:] : nil
        }
        let prefix = t[..<open]
        let suffix = t[t.index(after: close)...]
        let name = String(t[t.index(after: open)..<close])
        guard p.hasPrefix(prefix), p.hasSuffix(suffix), p.count >= prefix.count + suffix.count else { return nil }
        let value = String(p.dropFirst(prefix.count).dropLast(suffix.count))
        return [name: value]
    }
}
