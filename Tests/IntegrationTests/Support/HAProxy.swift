import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// HAProxy on loopback as the Kubernetes Service in front of edge pods: TCP mode, round robin
/// over the edges' RTMP ports, each edge health-checked on its API port's `/readyz` (the
/// readiness probe). Backends change at run time through the admin socket (the endpoints
/// controller): `add server`, `set server ... state maint`, `del server`, without a reload, so
/// established connections are never touched. Run in the foreground (`-db`), stopped by pid.
final class HAProxy {
    /// One edge as the load balancer sees it.
    struct Backend {
        let name: String
        let rtmpPort: Int
        let apiPort: Int

        init(_ name: String, _ srs: SRSProcess) {
            self.name = name
            rtmpPort = srs.rtmpPort
            apiPort = srs.apiPort
        }

        /// The `server` line's address and check options (dynamic servers do not inherit
        /// `default-server`, so every server spells them out).
        var serverArgs: String {
            "127.0.0.1:\(rtmpPort) check port \(apiPort) inter 200ms fall 1 rise 1"
        }
    }

    static let binary = "/usr/sbin/haproxy"
    static var available: Bool { FileManager.default.isExecutableFile(atPath: binary) }
    static let backendName = "edges"

    let port: Int
    let dir: URL
    let socketPath: String
    /// The haproxy process; its output is the log.
    private let tool: Tool

    init(backends: [Backend]) throws {
        port = FreePort.next()
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("haproxy-it-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        socketPath = dir.appendingPathComponent("admin.sock").path
        // No `option redispatch` and no retries: a connection sent to an edge that refuses it
        // fails for the client, so the tests see every routing mistake.
        let config = """
            global
                stats socket \(socketPath) mode 600 level admin
                maxconn 4000
            defaults
                mode tcp
                timeout connect 2s
                timeout client 2m
                timeout server 2m
                retries 0
            frontend rtmp
                bind 127.0.0.1:\(port)
                default_backend \(Self.backendName)
            backend \(Self.backendName)
                balance roundrobin
                option httpchk GET /readyz
                http-check expect status 200
            \(backends.map { "    server \($0.name) \($0.serverArgs)" }.joined(separator: "\n"))

            """
        let configURL = dir.appendingPathComponent("haproxy.cfg")
        try config.write(to: configURL, atomically: true, encoding: .utf8)
        tool = try Tool(Self.binary, ["-f", configURL.path, "-db"])
        // The admin socket answers once every listener is bound (a probe of the frontend itself
        // would be routed to an edge and move the round robin).
        guard Deadline.wait(timeout: 5, { (try? command("show info"))?.contains("Pid:") ?? false }) else {
            let output = log
            stop()
            throw TestError("haproxy not listening on \(port):\n\(output)")
        }
    }

    var log: String { tool.output }

    /// One runtime API command; the answer (HAProxy closes the socket after it).
    @discardableResult
    func command(_ line: String) throws -> String {
        try UnixSocketClient.request(path: socketPath, line + "\n", timeout: 3)
    }

    /// A new endpoint: registered in maintenance, then health checks on, then enabled.
    func add(_ backend: Backend) throws {
        let reply = try command("add server \(Self.backendName)/\(backend.name) \(backend.serverArgs)")
        guard reply.contains("New server registered") else { throw TestError("add server \(backend.name): \(reply)") }
        try command("enable health \(Self.backendName)/\(backend.name)")
        try command("enable server \(Self.backendName)/\(backend.name)")
    }

    /// `ready`, `drain` (no new connections, keeps the current ones) or `maint` (the same, and
    /// no health checks). Established connections stay in every state.
    func setState(_ name: String, _ state: String) throws {
        let reply = try command("set server \(Self.backendName)/\(name) state \(state)")
        guard reply.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw TestError("set server \(name): \(reply)") }
    }

    /// Removes a server in maintenance with no connections left.
    func delete(_ name: String) throws {
        let reply = try command("del server \(Self.backendName)/\(name)")
        guard reply.contains("Server deleted") else { throw TestError("del server \(name): \(reply)") }
    }

    /// `show stat` rows of the backend's servers by name (CSV columns by header name:
    /// `status` UP/DOWN/MAINT/DRAIN, `check_status` L7OK/L7STS/L4CON, `scur`, `stot`...).
    func servers() throws -> [String: [String: String]] {
        let lines = try command("show stat").split(separator: "\n")
        guard let header = lines.first, header.hasPrefix("# ") else { return [:] }
        let names = header.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var rows: [String: [String: String]] = [:]
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > 1, fields[0] == Self.backendName, fields[1] != "BACKEND" else { continue }
            rows[fields[1]] = Dictionary(zip(names, fields), uniquingKeysWith: { a, _ in a })
        }
        return rows
    }

    /// Waits until `name`'s `field` satisfies `cond` (e.g. its last check passed); the time it took.
    @discardableResult
    func wait(_ name: String, _ field: String, timeout: TimeInterval = 5, _ cond: (String) -> Bool) throws -> TimeInterval {
        let start = Date()
        guard Deadline.wait(timeout: timeout, every: 0.005, { (try? servers())?[name]?[field].map(cond) ?? false }) else {
            throw TestError("haproxy: \(name).\(field) not as expected within \(timeout)s: \(String(describing: try? servers()[name]))\n\(log)")
        }
        return Date().timeIntervalSince(start)
    }

    /// Waits until every named server passed a health check (`/readyz` answered 200).
    func waitHealthy(_ names: [String], timeout: TimeInterval = 5) throws {
        for n in names { try wait(n, "check_status", timeout: timeout) { $0 == "L7OK" } }
    }

    /// TERM by pid (KILL after 3 s); removes the temp dir.
    func stop() {
        tool.stop()
        try? FileManager.default.removeItem(at: dir)
    }
}

/// A blocking request/response over a unix stream socket: send, then read until the peer closes.
enum UnixSocketClient {
    static func request(path: String, _ text: String, timeout: TimeInterval) throws -> String {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestError("socket(AF_UNIX): errno \(errno)") }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { throw TestError("unix socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard r == 0 else { throw TestError("connect \(path): errno \(errno)") }
        RawClient.send(fd, Array(text.utf8))
        return String(decoding: RawClient.receiveUntilClose(fd, timeout: timeout), as: UTF8.self)
    }
}
