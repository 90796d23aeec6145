/// Where a listener binds: `1935`, `0.0.0.0:1935`, `127.0.0.1:1935`, `[::]:1935` (SRS's `listen`
/// forms). A bare port binds every IPv4 address, as SRS does.
public struct ListenAddress: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String = "0.0.0.0", port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses one `listen` argument; nil when it is not a valid address.
    public init?(parsing text: String) {
        guard let hp = HostPort(parsing: text, defaultPort: nil) else { return nil }
        self.init(host: hp.host.isEmpty ? "0.0.0.0" : hp.host, port: hp.port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// A peer address from the config: `host[:port]` or `[v6]:port` (cluster origins, coworkers).
/// The host may be a DNS name (a K8s Service); it is resolved when used, not here.
public struct HostPort: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host`, `host:port`, `port` (when `defaultPort` is nil, a bare number is a port),
    /// `[v6]` or `[v6]:port`. Nil when malformed or the port is out of range.
    public init?(parsing text: String, defaultPort: Int?) {
        var host = Substring(text)
        var portText: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let rest = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                portText = rest.dropFirst()
            }
        } else if let colon = host.lastIndex(of: ":") {
            // More than one colon without brackets is a bare IPv6 address, no port.
            if host.firstIndex(of: ":") == colon {
                portText = host[host.index(after: colon)...]
                host = host[..<colon]
            }
        } else if defaultPort == nil, host.allSatisfy({ $0.isASCII && $0.isNumber }) {
            portText = host
            host = ""
        }
        let port: Int
        if let p = portText {
            guard !p.isEmpty, p.count <= 5, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(p), n <= 65535 else { return nil }
            port = n
        } else {
            guard let d = defaultPort else { return nil }
            port = d
        }
        if host.isEmpty && defaultPort != nil { return nil }
        guard !host.contains(where: { $0 == " " || $0 == "/" || $0 == "[" || $0 == "]" }) else { return nil }
        self.init(host: String(host), port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
