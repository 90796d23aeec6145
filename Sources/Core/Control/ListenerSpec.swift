import Protocol

/// A listening socket the master owns and hands to workers: what it serves and where.
public struct ListenerSpec: Equatable, Hashable, Sendable {
    /// What a listener serves: RTMP, or HTTP with the API, the files (HTTP-FLV, HLS, static), or
    /// both on one port (as SRS when their ports are equal), or SRT: a UDP socket of one worker
    /// slot (`docs/srt.md`: one SO_REUSEPORT socket per slot, each worker reads only its own).
    public enum Kind: Equatable, Hashable, Sendable { case rtmp, http(api: Bool, files: Bool), srt(slot: Int) }

    public var address: ListenAddress
    public var kind: Kind

    public init(address: ListenAddress, kind: Kind) {
        self.address = address
        self.kind = kind
    }

    /// The listeners a config asks for: RTMP ports, then the HTTP API and server (one socket
    /// serving both when their ports are equal, as SRS), then the exporter's port, which serves
    /// the API's mux (`/metrics` and the rest) as SRS's does.
    public static func all(for config: ServerConfig) -> [ListenerSpec] {
        var out = config.listen.map { ListenerSpec(address: $0, kind: .rtmp) }
        let api = config.httpAPI.enabled ? config.httpAPI.listen : nil
        let files = config.httpServer.enabled ? config.httpServer.listen : nil
        if let a = api, let f = files, a.port == f.port {
            out.append(ListenerSpec(address: f, kind: .http(api: true, files: true)))
        } else {
            if let a = api { out.append(ListenerSpec(address: a, kind: .http(api: true, files: false))) }
            if let f = files { out.append(ListenerSpec(address: f, kind: .http(api: false, files: true))) }
        }
        if config.exporter.enabled, !out.contains(where: { $0.address.port == config.exporter.listen.port }) {
            out.append(ListenerSpec(address: config.exporter.listen, kind: .http(api: true, files: false)))
        }
        return out
    }

    /// The SRT slot sockets of a config: `count` UDP sockets on `srt_server.listen` (none when
    /// SRT is off). `count` is the number of workers when the slots were made; it stays until
    /// the port changes or SRT is turned off (a new count would move the connections).
    public static func srtSlots(for config: ServerConfig, count: Int) -> [ListenerSpec] {
        guard config.srtServer.enabled else { return [] }
        return (0..<max(1, count)).map { ListenerSpec(address: config.srtServer.listen, kind: .srt(slot: $0)) }
    }

    /// The slot of an SRT listener, nil for the others.
    public var srtSlot: Int? {
        if case .srt(let slot) = kind { return slot }
        return nil
    }

    public var json: JSONValue {
        switch kind {
        case .rtmp: return ["kind": "rtmp", "host": .string(address.host), "port": .int(Int64(address.port))]
        case .http(let api, let files):
            return ["kind": "http", "api": .bool(api), "files": .bool(files), "host": .string(address.host),
                    "port": .int(Int64(address.port))]
        case .srt(let slot):
            return ["kind": "srt", "slot": .int(Int64(slot)), "host": .string(address.host), "port": .int(Int64(address.port))]
        }
    }

    public init?(json j: JSONValue) {
        guard let host = j["host"]?.stringValue, let port = j["port"]?.intValue else { return nil }
        address = ListenAddress(host: host, port: Int(port))
        switch j["kind"]?.stringValue {
        case "rtmp": kind = .rtmp
        case "http": kind = .http(api: j["api"]?.boolValue ?? false, files: j["files"]?.boolValue ?? false)
        case "srt": kind = .srt(slot: Int(j["slot"]?.intValue ?? 0))
        default: return nil
        }
    }
}
