import Core
import Protocol
import System

/// The API across workers: every worker answers a query from its own state (`collect`), and the
/// worker serving the request merges the parts, so any worker answers for the whole server.
extension HTTPAPI {
    /// This worker's part of the answer to `query`.
    func collect(_ query: WorkerQuery) -> JSONValue {
        switch query {
        case .streams:
            // A stream pulled from a sibling worker is published there: its entry here only adds players.
            return .array(sources.sources.values.map { s in
                let j = streamJSON(s)
                return relays.isRelayed(s.key) ? j.setting("publish", ["active": false, "cid": .null]) : j
            })
        case .clients:
            // As SRS: API callers are not clients.
            return .array(connections.clientInfos().filter { $0.type != "http-api" }.map(clientJSON))
        case .vhosts:
            return .array(config.current.vhosts.map(localVhostJSON))
        case .summary:
            return workerPart()
        case .metrics:
            // The streams with their vhost's name (the API shows its id), for the metrics' labels.
            let streams: [JSONValue] = sources.sources.values.map { s in
                let j = streamJSON(s).setting("vhost_name", .string(s.vhost))
                return relays.isRelayed(s.key) ? j.setting("publish", ["active": false, "cid": .null]) : j
            }
            return workerPart().setting("stream_list", .array(streams))
        case .processes:
            return hub.processesJSON
        case .kick(let id):
            guard let c = connections.connection(id), !c.isInternal else { return .bool(false) }
            Log.trace("api: kick client \(id)")
            c.close()
            return .bool(true)
        }
    }

    /// The API id of a vhost: derived from its name, so every worker gives the same one.
    func vhostID(_ name: String) -> String { StableID.make(name) }

    /// One stream as this worker sees it (its players, its bytes).
    func streamJSON(_ s: LiveSource) -> JSONValue {
        let clients = connections.clientInfos().filter { $0.streamID == s.id }
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
        let j: JSONValue = ["id": .string(s.id), "name": .string(s.stream), "vhost": .string(vhostID(s.vhost)),
                "app": .string(s.app), "tcUrl": .string(s.tcUrl), "url": .string(s.key.url),
                "live_ms": .int(Clock.wallMs()), "clients": .int(Int64(clients.count)), "frames": .int(Int64(s.frames)),
                "send_bytes": .int(Int64(send)), "recv_bytes": .int(Int64(s.bytesIn)),
                "kbps": ["recv_30s": .int(Int64(s.recvKbps.kbps)), "send_30s": .int(Int64(s.sendKbps.kbps))],
                "publish": ["active": .bool(s.isPublished), "cid": s.publisherCID.map { .string($0) } ?? .null],
                "video": video, "audio": audio, "worker": .int(workerIndex)]
        return j.appending(hub.streamMembers(s.key))
    }

    func clientJSON(_ c: ClientInfo) -> JSONValue {
        ["id": .string(c.id), "vhost": .string(c.vhost.isEmpty ? "" : vhostID(c.vhost)),
         "stream": .string(c.streamID ?? ""), "ip": .string(c.ip), "pageUrl": .string(c.pageUrl), "swfUrl": .string(c.swfUrl),
         "tcUrl": .string(c.tcUrl), "url": .string(c.url), "name": .string(c.stream), "type": .string(c.type),
         "publish": .bool(c.publish), "alive": .rounded(Double(c.aliveMs) / 1000),
         "send_bytes": .int(Int64(c.sendBytes)), "recv_bytes": .int(Int64(c.recvBytes)),
         "kbps": ["recv_30s": .int(Int64(c.recvKbps)), "send_30s": .int(Int64(c.sendKbps))],
         "worker": .int(workerIndex)]
    }

    /// A vhost as this worker sees it; `stream_ids` (published streams, as `/api/v1/streams`)
    /// lets the merge count each stream once.
    private func localVhostJSON(_ v: VhostConfig) -> JSONValue {
        let infos = connections.clientInfos().filter { $0.vhost == v.name }
        let streams = sources.sources.values.filter { $0.vhost == v.name && $0.isPublished }
        return ["id": .string(vhostID(v.name)), "name": .string(v.name), "enabled": .bool(v.enabled),
                "clients": .int(Int64(infos.count)), "streams": .int(Int64(streams.count)),
                "send_bytes": .int(Int64(infos.reduce(0) { $0 + $1.sendBytes })),
                "recv_bytes": .int(Int64(infos.reduce(0) { $0 + $1.recvBytes })),
                "kbps": ["recv_30s": .int(Int64(infos.reduce(0) { $0 + $1.recvKbps })),
                         "send_30s": .int(Int64(infos.reduce(0) { $0 + $1.sendKbps }))],
                "hls": ["enabled": .bool(v.hls.enabled), "fragment": .rounded(v.hls.fragment)],
                "stream_ids": .array(streams.map { .string($0.id) })]
    }

    // MARK: - Merging the workers' parts

    /// A stream seen by several workers (published on one, relayed to others) is one stream:
    /// the publishing worker's entry, with every worker's players and bytes sent added up.
    func streamsAnswer(_ parts: [JSONValue], id: String?, _ req: HTTPRequestHead) -> JSONValue {
        let all = Self.mergedStreams(parts.flatMap { $0.arrayValue ?? [] })
        if let id {
            guard let s = all.first(where: { $0["id"]?.stringValue == id }) else { return envelope([:], code: Code.streamNotFound) }
            return envelope(["stream": s])
        }
        return envelope(["streams": .array(Array(all[page(req, all.count)]))])
    }

    /// The streams of every worker, each once, by url: a stream seen by several workers
    /// (published on one, relayed to others) is the publishing worker's entry, with every
    /// worker's players and bytes sent added up. Only published streams: one leaves the list
    /// the moment its publisher does (its source may linger for players that wait).
    static func mergedStreams(_ entries: [JSONValue]) -> [JSONValue] {
        var order: [String] = []
        var merged: [String: JSONValue] = [:]
        for s in entries {
            guard let sid = s["id"]?.stringValue else { continue }
            guard let seen = merged[sid] else {
                order.append(sid)
                merged[sid] = s
                continue
            }
            let owner = s["publish"]?["active"]?.boolValue == true ? s : seen
            let other = owner == s ? seen : s
            merged[sid] = owner
                .adding("clients", other["clients"])
                .adding("send_bytes", other["send_bytes"])
                .addingKbps("send_30s", other["kbps"]?["send_30s"])
        }
        return order.compactMap { merged[$0] }
            .filter { $0["publish"]?["active"]?.boolValue == true }
            .sorted { ($0["url"]?.stringValue ?? "") < ($1["url"]?.stringValue ?? "") }
    }

    func clientsAnswer(_ parts: [JSONValue], id: String?, _ req: HTTPRequestHead) -> JSONValue {
        let all = parts.flatMap { $0.arrayValue ?? [] }.sorted { ($0["id"]?.stringValue ?? "") < ($1["id"]?.stringValue ?? "") }
        if let id {
            guard let c = all.first(where: { $0["id"]?.stringValue == id }) else { return envelope([:], code: Code.clientNotFound) }
            return envelope(["client": c])
        }
        return envelope(["clients": .array(Array(all[page(req, all.count)]))])
    }

    func vhostsAnswer(_ parts: [JSONValue], id: String?) -> JSONValue {
        var order: [String] = []
        var merged: [String: JSONValue] = [:]
        var streamIDs: [String: Set<String>] = [:]
        for v in parts.flatMap({ $0.arrayValue ?? [] }) {
            guard let vid = v["id"]?.stringValue else { continue }
            streamIDs[vid, default: []].formUnion((v["stream_ids"]?.arrayValue ?? []).compactMap(\.stringValue))
            if let seen = merged[vid] {
                merged[vid] = seen.adding("clients", v["clients"]).adding("send_bytes", v["send_bytes"])
                    .adding("recv_bytes", v["recv_bytes"]).addingKbps("send_30s", v["kbps"]?["send_30s"])
                    .addingKbps("recv_30s", v["kbps"]?["recv_30s"])
            } else {
                order.append(vid)
                merged[vid] = v
            }
        }
        let list: [JSONValue] = order.compactMap { vid in
            merged[vid]?.removing("stream_ids").setting("streams", .int(Int64(streamIDs[vid]?.count ?? 0)))
        }
        if let id {
            guard let v = list.first(where: { $0["id"]?.stringValue == id }) else { return envelope([:], code: Code.vhostNotFound) }
            return envelope(["vhost": v])
        }
        return envelope(["vhosts": .array(list)])
    }
}

extension JSONValue {
    /// This object with integer member `name` increased by `other` (when both are integers).
    func adding(_ name: String, _ other: JSONValue?) -> JSONValue {
        guard let a = self[name]?.intValue, let b = other?.intValue else { return self }
        return setting(name, .int(a + b))
    }

    /// This stream/vhost object with `kbps.<name>` increased by `other`.
    func addingKbps(_ name: String, _ other: JSONValue?) -> JSONValue {
        guard let kbps = self["kbps"] else { return self }
        return setting("kbps", kbps.adding(name, other))
    }

    /// This object with member `name` replaced (or appended).
    func setting(_ name: String, _ value: JSONValue) -> JSONValue {
        guard var members else { return self }
        if let i = members.firstIndex(where: { $0.name == name }) {
            members[i].value = value
        } else {
            members.append(JSONMember(name, value))
        }
        return .object(members)
    }

    /// This object without member `name`.
    func removing(_ name: String) -> JSONValue {
        guard let members else { return self }
        return .object(members.filter { $0.name != name })
    }
}

extension JSONValue {
    /// This object with `more` members appended.
    func appending(_ more: [JSONMember]) -> JSONValue {
        guard let members, !more.isEmpty else { return self }
        return .object(members + more)
    }
}
