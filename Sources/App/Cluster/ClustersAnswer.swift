import Core
import Protocol

/// Where an origin-cluster coworker says a stream is published.
public struct DiscoveredOrigin: Equatable, Sendable {
    /// The RTMP address players are redirected to.
    public var ip: String
    public var port: Int
    /// The coworker's HTTP server port (our extension; SRS has none): HTTP-FLV players are
    /// redirected there. Nil when the coworker does not serve HTTP (or is SRS).
    public var httpPort: Int?

    public init(ip: String, port: Int, httpPort: Int? = nil) {
        self.ip = ip
        self.port = port
        self.httpPort = httpPort
    }
}

/// SRS's origin-cluster discovery answer, `/api/v1/clusters?vhost=&ip=&app=&stream=&coworker=`:
/// built by the node asked, parsed by the node asking. The shape is SRS's exactly,
/// `{"code":0,"data":{"query":{...},"origin":{...}|null}}`, plus our `origin.http_port`.
public enum ClustersAnswer {
    /// Hosts a peer cannot reach us at: then the coworker address it used is advertised.
    static let unreachableHosts: Set<String> = ["", "0.0.0.0", "::", "127.0.0.1"]

    /// The whole answer.
    public static func answer(ip: String, vhost: String, app: String, stream: String, origin: JSONValue) -> JSONValue {
        ["code": 0, "data": ["query": ["ip": .string(ip), "vhost": .string(vhost), "app": .string(app), "stream": .string(stream)],
                             "origin": origin]]
    }

    /// The `origin` object of a stream published here. `ip`: the host of the first `listen`, unless
    /// it is a wildcard or loopback: then the host part of `coworker` (the address the asking node
    /// used for us, SRS #1501). `port`: the first listen port. `api`: the API's `host:port`
    /// (`ip:port` when it listens on a wildcard), also the one router.
    public static func origin(listen: ListenAddress, coworker: String, vhost: String, api: ListenAddress,
                              httpPort: Int?) -> JSONValue {
        var ip = listen.host
        if unreachableHosts.contains(ip) {
            ip = RTMPRequest.splitHostPort(coworker, defaultPort: 1985).0
        }
        if ip.isEmpty { ip = "127.0.0.1" }
        let apiHost = unreachableHosts.contains(api.host) ? ip : api.host
        let apiAddress = apiHost.contains(":") ? "[\(apiHost)]:\(api.port)" : "\(apiHost):\(api.port)"
        var members: [JSONMember] = [
            JSONMember("ip", .string(ip)), JSONMember("port", .int(Int64(listen.port))), JSONMember("vhost", .string(vhost)),
            JSONMember("api", .string(apiAddress)), JSONMember("routers", .array([.string(apiAddress)])),
        ]
        if let h = httpPort { members.append(JSONMember("http_port", .int(Int64(h)))) }
        return .object(members)
    }

    /// The origin in an answer; nil when it is `null` or not usable (SRS requires `ip` and an
    /// integer `port`).
    public static func parse(_ body: [UInt8]) -> DiscoveredOrigin? {
        guard let json = try? JSONValue.parse(body), let origin = json["data"]?["origin"],
              let ip = origin["ip"]?.stringValue, !ip.isEmpty,
              let port = origin["port"]?.intValue, port > 0, port <= 65535 else { return nil }
        var http: Int?
        if let h = origin["http_port"]?.intValue, h > 0, h <= 65535 { http = Int(h) }
        return DiscoveredOrigin(ip: ip, port: Int(port), httpPort: http)
    }
}
