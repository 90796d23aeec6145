import Glibc

/// An RTMP play URL split the way clients send it: `rtmp://host[:port]/app/stream[?query]`
/// connects with `tcUrl = rtmp://host:port/app` and plays `stream[?query]` (the last path
/// component; everything before it is the app, so `live/sub/s` plays `s` in app `live/sub`).
struct PlayURL {
    var host: String
    /// The numeric address connections go to (`host` resolved once, up front).
    var ip: String
    var port: Int
    var app: String
    var stream: String

    var tcUrl: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "rtmp://\(h):\(port)/\(app)"
    }

    init(_ url: String) throws {
        guard url.hasPrefix("rtmp://") else { throw BenchError.url("\(url): want rtmp://") }
        let rest = url.dropFirst("rtmp://".count)
        guard let slash = rest.firstIndex(of: "/") else { throw BenchError.url("\(url): no app") }
        let hostPort = rest[..<slash]
        let path = rest[rest.index(after: slash)...]
        // The stream is the last component of the path before any query.
        let query = path.firstIndex(of: "?") ?? path.endIndex
        guard let last = path[..<query].lastIndex(of: "/") else { throw BenchError.url("\(url): no stream") }
        app = String(path[..<last])
        stream = String(path[path.index(after: last)...])
        guard !app.isEmpty, !stream.isEmpty else { throw BenchError.url("\(url): empty app or stream") }

        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            port = after.hasPrefix(":") ? (Int(after.dropFirst()) ?? -1) : 1935
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            port = Int(hostPort[hostPort.index(after: colon)...]) ?? -1
        } else {
            host = String(hostPort)
            port = 1935
        }
        guard (1...65535).contains(port), !host.isEmpty else { throw BenchError.url("\(url): bad host or port") }
        ip = try Self.resolve(host)
    }

    /// The first numeric address of `host` (IPv4 preferred by getaddrinfo's ordering).
    static func resolve(_ host: String) throws -> String {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &res) == 0, let first = res else { throw BenchError.resolve(host) }
        defer { freeaddrinfo(res) }
        guard let addr = first.pointee.ai_addr else { throw BenchError.resolve(host) }
        var buf = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        let ok: Bool
        if first.pointee.ai_family == AF_INET {
            ok = addr.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var a = sin.pointee.sin_addr
                return inet_ntop(AF_INET, &a, &buf, socklen_t(buf.count)) != nil
            }
        } else {
            ok = addr.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var a = sin6.pointee.sin6_addr
                return inet_ntop(AF_INET6, &a, &buf, socklen_t(buf.count)) != nil
            }
        }
        guard ok else { throw BenchError.resolve(host) }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
