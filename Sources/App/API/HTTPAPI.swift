import Core
import Kernel
import Protocol
import System

/// SRS's HTTP API (`/api/v1/...`): compact JSON with `code`, `server`, `service`, `pid`; logical
/// errors keep HTTP 200 with a non-zero `code`, as SRS does. Answers about streams and clients
/// come from every worker (`HTTPAPI+Gather.swift`), so any worker answers for the whole server.
final class HTTPAPI {
    let loop: EventLoop
    let config: ConfigStore
    let identity: ServerIdentity
    let sources: SourceManager
    let siblings: SiblingLink
    let relays: SiblingRelays
    let connections: ConnectionRegistry
    let status: WorkerStatus
    /// Forward, transcode and exec of the streams published here (their state in the answers).
    let hub: OriginHub
    /// Failed HLS writes on this worker (set by the server: the HLS service counts them).
    var hlsWriteErrors: () -> UInt64 = { 0 }

    /// SRS error codes the API returns.
    enum Code {
        static let streamNotFound: Int64 = 2048
        static let clientNotFound: Int64 = 2049
        static let vhostNotFound: Int64 = 1028
        static let rawAPI: Int64 = 1060
        static let rawAPIDisabled: Int64 = 1061
    }

    init(loop: EventLoop, config: ConfigStore, identity: ServerIdentity, sources: SourceManager, siblings: SiblingLink,
         relays: SiblingRelays, connections: ConnectionRegistry, status: WorkerStatus, hub: OriginHub) {
        self.loop = loop
        self.config = config
        self.identity = identity
        self.sources = sources
        self.siblings = siblings
        self.relays = relays
        self.connections = connections
        self.status = status
        self.hub = hub
    }

    /// The answer, or nil when it will come later through `connection.finish` (gathered from the
    /// other workers).
    func handle(_ req: HTTPRequestHead, body: [UInt8], connection c: HTTPConnection) -> HTTPResponse? {
        let callback = req.queryValue("callback")
        guard authorized(req) else {
            var r = HTTPResponse.text(401, "Unauthorized\n")
            r.headers.append(HTTPHeader("WWW-Authenticate", "Basic realm=\"SRS\""))
            return r
        }
        let parts = req.path.split(separator: "/").map(String.init)  // ["api", "v1", "streams", id?]
        guard parts.first == "api" else {
            // A path outside the API on a port that serves only the API: SRS's root answer.
            return .json(envelope(["urls": ["api": "the api root"]]), callback: callback)
        }
        // SRS 7 answers the collection without a trailing slash with a redirect to the slash form.
        if parts.count == 3, ["streams", "clients", "vhosts"].contains(parts[2]), !req.path.hasSuffix("/") {
            let q = req.target.firstIndex(of: "?").map { String(req.target[$0...]) } ?? ""
            return .redirect(req.path + "/" + q)
        }
        let section = parts.count > 2 ? parts[2] : ""
        let id = parts.count > 3 ? parts[3] : nil
        if req.method == "DELETE" && section != "clients" { return .text(405, "Method Not Allowed\n") }
        let result: JSONValue
        switch (parts.count > 1 ? parts[1] : "", section) {
        case ("", _):
            result = envelope(["urls": ["v1": "the api version 1.0"]])
        case ("v1", ""):
            result = envelope(v1Listing)
        case ("v1", "rusages"):
            result = envelope(["data": rusagesData()])
        case ("v1", "self_proc_stats"):
            result = envelope(["data": selfProcStatsData()])
        case ("v1", "system_proc_stats"):
            result = envelope(["data": systemProcStatsData()])
        case ("v1", "meminfos"):
            result = envelope(["data": memInfosData()])
        case ("v1", "features"):
            result = envelope(["data": featuresData()])
        case ("v1", "authors"):
            result = envelope(["data": authorsData])
        case ("v1", "requests"):
            result = envelope(["data": requestsData(req)])
        case ("v1", "tests") where id == "requests":
            result = envelope(["data": requestsData(req)])
        case ("v1", "versions"):
            result = envelope(["data": ["major": .int(Int64(Version.major)), "minor": .int(Int64(Version.minor)),
                                        "revision": .int(Int64(Version.revision)), "version": .string(Version.string)]])
        case ("v1", "summaries"):
            return gathered(req, c, .summary) { [unowned self] in envelope(["data": summaries($0)]) }
        case ("v1", "streams"):
            return gathered(req, c, .streams) { [unowned self] in streamsAnswer($0, id: id, req) }
        case ("v1", "clients") where req.method == "DELETE":
            guard let id else { return .json(envelope([:], code: Code.clientNotFound), callback: callback) }
            return gathered(req, c, .kick(clientID: id)) { [unowned self] parts in
                parts.contains(.bool(true)) ? envelope([:]) : envelope([:], code: Code.clientNotFound)
            }
        case ("v1", "clients"):
            return gathered(req, c, .clients) { [unowned self] in clientsAnswer($0, id: id, req) }
        case ("v1", "vhosts"):
            return gathered(req, c, .vhosts) { [unowned self] in vhostsAnswer($0, id: id) }
        case ("v1", "processes"):
            return gathered(req, c, .processes) { [unowned self] parts in
                envelope(["processes": .array(parts.flatMap { $0.arrayValue ?? [] })])
            }
        case ("v1", "clusters"):
            result = clusters(req)
        case ("v1", "raw"):
            result = raw(req)
        case ("v1", _):
            // As SRS 7: a path under /api/v1/ that nothing serves gets the v1 listing.
            result = envelope(v1Listing)
        default:
            // And one under /api/ the api listing.
            result = envelope(["urls": ["v1": "the api version 1.0"]])
        }
        return .json(result, callback: callback)
    }

    /// SRS's raw API: `rpc=raw` shows its switches; `rpc=reload` reloads the config as SIGHUP
    /// does, when `raw_api { enabled on; allow_reload on; }`.
    private func raw(_ req: HTTPRequestHead) -> JSONValue {
        let api = config.current.httpAPI
        switch req.queryValue("rpc") {
        case "raw":
            return envelope(["http_api": ["enabled": .bool(api.enabled), "listen": .string("\(api.listen.port)"),
                                          "crossdomain": .bool(api.crossdomain),
                                          "raw_api": ["enabled": .bool(api.rawAPI), "allow_reload": .bool(api.rawAPIAllowReload),
                                                      "allow_query": false, "allow_update": false]]])
        case "reload":
            guard api.rawAPI && api.rawAPIAllowReload else { return envelope([:], code: Code.rawAPIDisabled) }
            guard let send = siblings.send else { return envelope([:], code: Code.rawAPI) }
            Log.trace("api: raw reload")
            send(.reload)
            return envelope([:])
        default:
            return envelope([:], code: api.rawAPI ? Code.rawAPI : Code.rawAPIDisabled)
        }
    }

    /// `http_api { auth { enabled on; username u; password p; } }`: HTTP basic auth, as SRS.
    func authorized(_ req: HTTPRequestHead) -> Bool {
        guard let user = config.current.httpAPI.authUsername else { return true }
        guard let value = req.header("Authorization"), value.lowercased().hasPrefix("basic "),
              let decoded = Base64.decode(String(value.dropFirst(6)).trimmingBlanks) else { return false }
        return decoded == Array("\(user):\(config.current.httpAPI.authPassword)".utf8)
    }

    /// Asks every worker, then answers with `build(parts)`.
    private func gathered(_ req: HTTPRequestHead, _ c: HTTPConnection, _ query: WorkerQuery,
                          _ build: @escaping ([JSONValue]) -> JSONValue) -> HTTPResponse? {
        let callback = req.queryValue("callback")
        siblings.gather(query, loop: loop, local: { [unowned self] in collect(query) }) { [weak c] parts in
            c?.finish(.json(build(parts), callback: callback), to: req)
        }
        return nil
    }

    /// `{code, server, service, pid, ...fields}`.
    func envelope(_ fields: JSONValue, code: Int64 = 0) -> JSONValue {
        var members: [JSONMember] = [JSONMember("code", .int(code)), JSONMember("server", .string(identity.serverID)),
                                     JSONMember("service", .string(identity.serviceID)), JSONMember("pid", .string("\(identity.pid)"))]
        members += fields.members ?? []
        return .object(members)
    }

    /// `?start=&count=` of a list (SRS's default page: 10).
    func page(_ req: HTTPRequestHead, _ total: Int) -> Range<Int> {
        Self.page(start: req.queryValue("start"), count: req.queryValue("count"), total: total)
    }

    /// The part of a list of `total` items that `start` and `count` (as a client sent them) ask
    /// for; numbers that are not numbers take the defaults (0 and 10), negative ones count as 0.
    static func page(start: String?, count: String?, total: Int) -> Range<Int> {
        let first = min(max(0, Int(start ?? "") ?? 0), total)
        let n = max(0, Int(count ?? "") ?? 10)
        // Not `first + n`: a client's count of Int.max would overflow it and trap.
        return first..<(n >= total - first ? total : first + n)
    }

    /// Origin-cluster discovery: where is `vhost/app/stream` published? SRS's exact answer (see
    /// `ClustersAnswer`): `{"code":0,"data":{"query":{...},"origin":{...}|null}}`, no envelope.
    private func clusters(_ req: HTTPRequestHead) -> JSONValue {
        let ip = req.queryValue("ip") ?? ""
        let vhost = req.queryValue("vhost") ?? ""
        let app = req.queryValue("app") ?? ""
        let stream = req.queryValue("stream") ?? ""
        let coworker = req.queryValue("coworker") ?? ""
        var origin: JSONValue = .null
        // A stream counts when a client publishes it here or on a sibling worker (not when an
        // edge pulls it: that one is not an origin).
        let config = config.current
        if let v = config.vhost(vhost), let listen = config.listen.first {
            let key = StreamKey(vhost: v.name, app: app, stream: stream)
            let source = sources.find(key)
            let here = source?.isPublished == true && source?.publisherKind == .client
            if here || siblings.owner(of: key) != nil {
                origin = ClustersAnswer.origin(listen: listen, coworker: coworker, vhost: v.name, api: config.httpAPI.listen,
                                               httpPort: config.httpServer.enabled ? config.httpServer.listen.port : nil)
                Log.traceClient("origin cluster redirect", "Redirect vhost=\(v.name), path=\(app)/\(stream) to ip=\(origin["ip"]?.stringValue ?? ""), port=\(listen.port), api=\(origin["api"]?.stringValue ?? "")")
            }
        }
        return ClustersAnswer.answer(ip: ip, vhost: vhost, app: app, stream: stream, origin: origin)
    }
}

extension String {
    /// Without leading and trailing blanks.
    var trimmingBlanks: String {
        var s = Substring(self)
        while s.first == " " || s.first == "\t" { s = s.dropFirst() }
        while s.last == " " || s.last == "\t" { s = s.dropLast() }
        return String(s)
    }
}
