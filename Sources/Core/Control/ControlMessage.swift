import Protocol

/// What the master and its workers tell each other over their channel: one JSON object per
/// frame, `{"t": kind, ...}`. Listener descriptors travel beside `configure` (SCM_RIGHTS), in the
/// order of its `listeners`. Signals are not messages: the master relays them with kill(2).
public enum ControlMessage: Equatable, Sendable {
    /// master → worker: run `config` (text the master validated) on these listeners, answering
    /// the API as this server (`identity`: one server id and service id for all workers). At
    /// the first configuration, `quotaRow` is the worker's row in the master's table of
    /// connection counts, whose fd follows the listeners' (nil: no table).
    case configure(config: String, listeners: [ListenerSpec], reload: Bool, identity: ServerIdentity, quotaRow: Int? = nil)
    /// master → worker: every stream published on any worker, in full.
    case streams([PublishedStream])
    /// worker → master: serving; `relay` is the unix socket siblings pull this worker's streams from.
    case ready(relay: String)
    /// worker → master: a client started publishing `key` (`vhost/app/stream`) here.
    case publish(key: StreamKey)
    /// worker → master: the publisher of `key` left.
    case unpublish(key: StreamKey)
    /// worker → master: reload the config (the raw API's `rpc=reload`, as SIGHUP).
    case reload
    /// master → worker: another worker published `key` first; refuse yours.
    case conflict(key: StreamKey)
    /// worker → master: ask every worker (itself included) about `query` (an API request).
    case gather(id: Int, query: WorkerQuery)
    /// master → every worker: answer `query` from your own state.
    case collect(id: Int, query: WorkerQuery)
    /// worker → master: this worker's answer.
    case collected(id: Int, data: JSONValue)
    /// master → the asking worker: every worker's answer.
    case gathered(id: Int, parts: [JSONValue])

    public func encode() -> [UInt8] { json.encodedBytes() }

    var json: JSONValue {
        switch self {
        case .configure(let config, let listeners, let reload, let identity, let quotaRow):
            return ["t": "configure", "config": .string(config), "reload": .bool(reload),
                    "listeners": .array(listeners.map(\.json)), "server": .string(identity.serverID),
                    "service": .string(identity.serviceID), "pid": .int(Int64(identity.pid)),
                    "quota_row": quotaRow.map { .int(Int64($0)) } ?? .null]
        case .streams(let list):
            return ["t": "streams", "streams": .array(list.map(\.json))]
        case .ready(let relay):
            return ["t": "ready", "relay": .string(relay)]
        case .publish(let key):
            return ["t": "publish", "key": .string(key.description)]
        case .unpublish(let key):
            return ["t": "unpublish", "key": .string(key.description)]
        case .conflict(let key):
            return ["t": "conflict", "key": .string(key.description)]
        case .reload:
            return ["t": "reload"]
        case .gather(let id, let query):
            return ["t": "gather", "id": .int(Int64(id)), "query": query.json]
        case .collect(let id, let query):
            return ["t": "collect", "id": .int(Int64(id)), "query": query.json]
        case .collected(let id, let data):
            return ["t": "collected", "id": .int(Int64(id)), "data": data]
        case .gathered(let id, let parts):
            return ["t": "gathered", "id": .int(Int64(id)), "parts": .array(parts)]
        }
    }

    /// Decodes a frame; nil when it is not a message we know (a newer peer's, say).
    public static func decode(_ bytes: [UInt8]) -> ControlMessage? {
        guard let j = try? JSONValue.parse(bytes), let t = j["t"]?.stringValue else { return nil }
        let id = j["id"]?.intValue.map { Int($0) }
        switch t {
        case "configure":
            guard let config = j["config"]?.stringValue, let list = j["listeners"]?.arrayValue,
                  let server = j["server"]?.stringValue, let service = j["service"]?.stringValue,
                  let pid = j["pid"]?.intValue else { return nil }
            let listeners = list.compactMap(ListenerSpec.init(json:))
            guard listeners.count == list.count else { return nil }
            return .configure(config: config, listeners: listeners, reload: j["reload"]?.boolValue ?? false,
                              identity: ServerIdentity(serverID: server, serviceID: service, pid: Int32(truncatingIfNeeded: pid)),
                              quotaRow: j["quota_row"]?.intValue.map { Int(truncatingIfNeeded: $0) })
        case "streams":
            guard let list = j["streams"]?.arrayValue else { return nil }
            return .streams(list.compactMap(PublishedStream.init(json:)))
        case "ready":
            return j["relay"]?.stringValue.map { .ready(relay: $0) }
        case "publish":
            return j["key"]?.stringValue.flatMap(StreamKey.init(parsing:)).map { .publish(key: $0) }
        case "unpublish":
            return j["key"]?.stringValue.flatMap(StreamKey.init(parsing:)).map { .unpublish(key: $0) }
        case "conflict":
            return j["key"]?.stringValue.flatMap(StreamKey.init(parsing:)).map { .conflict(key: $0) }
        case "reload":
            return .reload
        case "gather":
            guard let id, let q = j["query"].flatMap(WorkerQuery.init(json:)) else { return nil }
            return .gather(id: id, query: q)
        case "collect":
            guard let id, let q = j["query"].flatMap(WorkerQuery.init(json:)) else { return nil }
            return .collect(id: id, query: q)
        case "collected":
            guard let id, let d = j["data"] else { return nil }
            return .collected(id: id, data: d)
        case "gathered":
            guard let id, let parts = j["parts"]?.arrayValue else { return nil }
            return .gathered(id: id, parts: parts)
        default:
            return nil
        }
    }
}
