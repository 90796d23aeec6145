import CSystem
import Glibc

/// A listening socket on the loop that hands each accepted, non-blocking connection to `onAccept`.
public final class TCPListener {
    public let fd: Int32
    public let host: String
    public let port: Int
    private let loop: EventLoop
    private let ownsFD: Bool
    public var onAccept: ((_ fd: Int32, _ ip: String, _ port: Int) -> Void)?
    public private(set) var closed = false

    /// Binds and listens (SO_REUSEADDR, and SO_REUSEPORT so several workers can share the port).
    public static func bind(host: String, port: Int, reusePort: Bool, backlog: Int = 1024) throws -> Int32 {
        let fd = csys_tcp_listen(host, Int32(port), Int32(backlog), reusePort ? 1 : 0)
        if fd < 0 { throw SystemError("listen", context: "\(host):\(port)") }
        return fd
    }

    /// Accepts on an already-listening fd (bound here or inherited from the master).
    public init(fd: Int32, host: String, port: Int, loop: EventLoop, ownsFD: Bool = true) throws {
        self.fd = fd
        self.host = host
        self.port = port
        self.loop = loop
        self.ownsFD = ownsFD
        try loop.register(fd: fd, events: UInt32(EPOLLIN.rawValue)) { [weak self] _ in self?.acceptReady() }
    }

    /// The port actually bound (for `listen 0` in tests).
    public var boundPort: Int { Int(csys_local_port(fd)) }

    private func acceptReady() {
        var ipbuf = [CChar](repeating: 0, count: 64)
        for _ in 0..<64 {
            var peerPort: Int32 = 0
            let c = csys_accept(fd, &ipbuf, Int32(ipbuf.count), &peerPort)
            if c < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno != EAGAIN && errno != EWOULDBLOCK {
                    Log.errorRepeated("accept failed", "accept failed on \(host):\(port): \(SystemError("accept4"))")
                }
                return
            }
            _ = csys_set_nodelay(c)
            let ip = ipbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if let cb = onAccept { cb(c, ip, Int(peerPort)) } else { Glibc.close(c) }
        }
    }

    /// Stops accepting and closes the socket (graceful quit: "listeners closed").
    public func close() {
        guard !closed else { return }
        closed = true
        loop.unregister(fd: fd)
        if ownsFD { Glibc.close(fd) }
    }
}
