import Protocol

/// A question the API asks every worker (`ControlMessage.gather`/`collect`): each answers from
/// its own state and the asking worker merges the parts. On the wire: `{"what": ...}`.
public enum WorkerQuery: Equatable, Sendable {
    /// Its streams (`/api/v1/streams`).
    case streams
    /// Its clients (`/api/v1/clients`).
    case clients
    /// Its vhosts with their clients and streams (`/api/v1/vhosts`).
    case vhosts
    /// Its counts, memory and CPU (`/api/v1/summaries`).
    case summary
    /// Its counts and counters, and its streams (`/metrics`, the exporter).
    case metrics
    /// Its child processes (`/api/v1/processes`): a worker's transcodes and execs; the master
    /// adds its ingests.
    case processes
    /// Close this client if it is here (`DELETE /api/v1/clients/id`); the answer says whether.
    case kick(clientID: String)

    public var json: JSONValue {
        switch self {
        case .streams: return ["what": "streams"]
        case .clients: return ["what": "clients"]
        case .vhosts: return ["what": "vhosts"]
        case .summary: return ["what": "summary"]
        case .metrics: return ["what": "metrics"]
        case .processes: return ["what": "processes"]
        case .kick(let id): return ["what": "kick", "id": .string(id)]
        }
    }

    /// Nil for a question this version does not know.
    public init?(json j: JSONValue) {
        switch j["what"]?.stringValue {
        case "streams": self = .streams
        case "clients": self = .clients
        case "vhosts": self = .vhosts
        case "summary": self = .summary
        case "metrics": self = .metrics
        case "processes": self = .processes
        case "kick":
            guard let id = j["id"]?.stringValue else { return nil }
            self = .kick(clientID: id)
        default: return nil
        }
    }
}
