import Glibc
import Protocol
import System

/// SRS's HTTP API (`/api/v1/...`): compact JSON with `code`, `server`, `service`, `pid`; logical
/// errors keep HTTP 200 with a non-zero `code`, as SRS does.
final class HTTPAPI {
    unowned let server: Server

    /// SRS error codes the API returns.
    enum Code {
        static let streamNotFound: Int64 = 2048
        static let clientNotFound: Int64 = 2049
        static let vhostNotFound: Int64 = 1028
        static let notFound: Int64 = 1001
    }

    init(server: Server) { self.server = server }

    func handle(_ req: HTTPRequestHead, body: [UInt8], connection: HTTPConnection) -> HTTPResponse {
        let callback = req.queryValue("callback")
        let parts = req.path.split(separator: "/").map(String.init)  // ["api", "v1", "streams", id?]
        // SRS 7 answers the collection without a trailing slash with a redirect to the slash form.
        if parts.count == 3, ["streams", "clients", "vhosts"].contains(parts[2]), !req.path.hasSuffix("/") {
            let q = req.target.firstIndex(of: "?").map { String(req.target[$0...]) } ?? ""
            return .redirect(req.path + "/" + q)
        }
        let result: JSONValue
        switch (parts.count > 1 ? parts[1] : "", parts.count > 2 ? parts[2] : "") {
        case ("", _):
            result = envelope(["urls": ["v1": "the api version 1.0"]])
        case ("v1", ""):
            result = envelope(["urls": ["versions": "the version of SRS", "summaries": "the summary of SRS",
                                        "vhosts": "manage all vhosts or specified vhost",
                                        "streams": "manage all streams or specified stream",
                                        "clients": "manage all clients or specified client",
                                        "clusters": "origin cluster server API"]])
        case ("v1", "versions"):
            result = envelope(["data": ["major": .int(Int64(Version.major)), "minor": .int(Int64(Version.minor)),
                                        "revision": .int(Int64(Version.revision)), "version": .string(Version.string)]])
        case ("v1", "summaries"):
            result = envelope(["data": summaries()])
        case ("v1", "streams"):
            result = streams(id: parts.count > 3 ? parts[3] : nil, req)
        case ("v1", "clients"):
            let id = parts.count > 3 ? parts[3] : nil
            if req.method == "DELETE" {
                result = kick(id: id)
            } else {
                result = clients(id: id, req)
            }
        case ("v1", "vhosts"):
            result = vhosts(id: parts.count > 3 ? parts[3] : nil)
        case ("v1", "clusters"):
            result = clusters(req)
        default:
            var r = HTTPResponse.json(envelope([:], code: Code.notFound), callback: callback)
            r.status = 404
            return r
        }
        if req.method == "DELETE" && (parts.count < 3 || parts[2] != "clients") {
            return .text(405, "Method Not Allowed\n")
        }
        return .json(result, callback: callback)
    }

    /// `{code, server, service, pid, ...fields}`.
    func envelope(_ fields: JSONValue, code: Int64 = 0) -> JSONValue {
        var members: [JSONMember] = [JSONMember("code", .int(code)), JSONMember("server", .string(server.serverID)),
                                     JSONMember("service", .string(server.serviceID)), JSONMember("pid", .string("\(server.pid)"))]
        members += fields.members ?? []
        return .object(members)
    }

    private func page(_ req: HTTPRequestHead, _ total: Int) -> Range<Int> {
        let start = max(0, Int(req.queryValue("start") ?? "") ?? 0)
        let count = max(0, Int(req.queryValue("count") ?? "") ?? 10)
        let lo = min(start, total)
        return lo..<min(total, lo + count)
    }

    private func streams(id: String?, _ req: HTTPRequestHead) -> JSONValue {
        if let id {
            guard let s = server.sources.find(id: id) else { return envelope([:], code: Code.streamNotFound) }
            return envelope(["stream": streamJSON(s)])
        }
        let all = server.sources.sources.values.sorted { $0.key < $1.key }
        return envelope(["streams": .array(all[page(req, all.count)].map(streamJSON))])
    }

    func streamJSON(_ s: LiveSource) -> JSONValue {
        let clients = server.clientInfos().filter { $0.streamID == s.id }
        let send = clients.reduce(UInt64(0)) { $0 + $1.sendBytes }
        var video: JSONValue = .null
        if let v = s.video {
            video = ["codec": .string(v.codec), "profile": .string(v.profile), "level": .string(v.level),
                     "width": .int(Int64(v.width)), "height": .int(Int64(v.height))]
        }
        var audio: JSONValue = .null
        if let a = s.audio {
            audio = ["codec": .string(a.codec), "sample_rate": .int(Int64(a.sampleRate)),
                     "channel": .int(Int64(a.channels)), "profile": .string(a.profile)]
        }
        return ["id": .string(s.id), "name": .string(s.stream), "vhost": .string(server.vhostID(s.vhost)),
                "app": .string(s.app), "tcUrl": .string(s.tcUrl), "url": .string("/\(s.app)/\(s.stream)"),
                "live_ms": .int(Clock.wallMs()), "clients": .int(Int64(clients.count)), "frames": .int(Int64(s.frames)),
                "send_bytes": .int(Int64(send)), "recv_bytes": .int(Int64(s.bytesIn)),
                "kbps": ["recv_30s": .int(Int64(s.recvKbps.kbps)), "send_30s": .int(Int64(s.sendKbps.kbps))],
                "publish": ["active": .bool(s.isPublished), "cid": s.publisherCID.map { .string($0) } ?? .null],
                "video": video, "audio": audio]
    }

    private func clients(id: String?, _ req: HTTPRequestHead) -> JSONValue {
        if let id {
            guard let c = server.clientInfos().first(where: { $0.id == id }) else { return envelope([:], code: Code.clientNotFound) }
            return envelope(["client": clientJSON(c)])
        }
        let all = server.clientInfos().filter { $0.type != "http-api" }.sorted { $0.id < $1.id }
        return envelope(["clients": .array(all[page(req, all.count)].map(clientJSON))])
    }

    func clientJSON(_ c: ClientInfo) -> JSONValue {
        ["id": .string(c.id), "vhost": .string(c.vhost.isEmpty ? "" : server.vhostID(c.vhost)),
         "stream": .string(c.streamID ?? ""), "ip": .string(c.ip), "pageUrl": .string(c.pageUrl), "swfUrl": .string(c.swfUrl),
         "tcUrl": .string(c.tcUrl), "url": .string(c.url), "name": .string(c.stream), "type": .string(c.type),
         "publish": .bool(c.publish), "alive": .number(Double(c.aliveMs) / 1000),
         "send_bytes": .int(Int64(c.sendBytes)), "recv_bytes": .int(Int64(c.recvBytes)),
         "kbps": ["recv_30s": .int(Int64(c.recvKbps)), "send_30s": .int(Int64(c.sendKbps))]]
    }

    private func kick(id: String?) -> JSONValue {
        guard let id, let c = server.connection(id) else { return envelope([:], code: Code.clientNotFound) }
        Log.trace("api: kick client \(id)")
        c.close()
        return envelope([:])
    }

    private func vhosts(id: String?) -> JSONValue {
        let list = server.config.vhosts.map { v -> JSONValue in
            let infos = server.clientInfos().filter { $0.vhost == v.name }
            let streams = server.sources.sources.values.filter { $0.vhost == v.name }
            return ["id": .string(server.vhostID(v.name)), "name": .string(v.name), "enabled": .bool(v.enabled),
                    "clients": .int(Int64(infos.count)), "streams": .int(Int64(streams.count)),
                    "send_bytes": .int(Int64(infos.reduce(0) { $0 + $1.sendBytes })),
                    "recv_bytes": .int(Int64(infos.reduce(0) { $0 + $1.recvBytes })),
                    "kbps": ["recv_30s": .int(Int64(infos.reduce(0) { $0 + $1.recvKbps })),
                             "send_30s": .int(Int64(infos.reduce(0) { $0 + $1.sendKbps }))],
                    "hls": ["enabled": .bool(v.hls.enabled), "fragment": .number(v.hls.fragment)]]
        }
        if let id {
            guard let v = list.first(where: { $0["id"]?.stringValue == id }) else { return envelope([:], code: Code.vhostNotFound) }
            return envelope(["vhost": v])
        }
        return envelope(["vhosts": .array(list)])
    }

    /// Origin-cluster discovery: where is `vhost/app/stream` published?
    private func clusters(_ req: HTTPRequestHead) -> JSONValue {
        let ip = req.queryValue("ip") ?? ""
        let vhost = req.queryValue("vhost") ?? "__defaultVhost__"
        let app = req.queryValue("app") ?? ""
        let stream = req.queryValue("stream") ?? ""
        let coworker = req.queryValue("coworker") ?? ""
        let query: JSONValue = ["ip": .string(ip), "vhost": .string(vhost), "app": .string(app), "stream": .string(stream)]
        let name = server.config.vhost(vhost)?.name ?? vhost
        guard let s = server.sources.find(vhost: name, app: app, stream: stream), s.isPublished,
              let listen = server.config.listen.first else {
            return envelope(["data": ["query": query, "origin": .null]])
        }
        // Advertise the listen host, unless it is a wildcard/loopback: then the host the caller used.
        var host = listen.host
        if ["0.0.0.0", "::", "127.0.0.1", ""].contains(host) {
            host = RTMPRequest.splitHostPort(coworker, defaultPort: 1985).0
        }
        let apiPort = server.config.httpAPI.listen.port
        return envelope(["data": ["query": query, "origin": [
            "ip": .string(host), "port": .int(Int64(listen.port)), "vhost": .string(vhost),
            "api": .string("\(host):\(apiPort)"), "routers": .array([.string("\(host):\(apiPort)")])]]])
    }
}
