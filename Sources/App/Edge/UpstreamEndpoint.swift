/// Where an ingester or a forwarder connects: a TCP host and port (an IP literal, or a name that
/// is resolved without blocking the loop), or a local unix socket (`@name`: abstract namespace,
/// as the relay between sibling workers uses).
public enum UpstreamEndpoint: Equatable, Hashable, Sendable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    public var description: String {
        switch self {
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return "unix:\(path)"
        }
    }

    /// The host to name in a tcUrl (brackets around IPv6); `localhost` for a unix socket.
    var urlHost: String {
        switch self {
        case .tcp(let host, _): return host.contains(":") ? "[\(host)]" : host
        case .unix: return "localhost"
        }
    }
}
