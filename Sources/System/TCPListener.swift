import CSystem
import Glibc

/// A listening socket (TCP, or a unix socket) on the loop that hands each accepted,
/// non-blocking connection to `onAccept`, which owns it from then on.
public final class TCPListener {
    private let descriptor: FileDescriptor
    public let host: String
    public let port: Int
    private let loop: EventLoop
    public var onAccept: ((_ fd: FileDescriptor, _ ip: String, _ port: Int) -> Void)?
    /// accept failed for lack of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM): the
    /// owner may free some. Accepting pauses for `exhaustedPauseMs` meanwhile.
    public var onExhausted: (() -> Void)?
    public private(set) var closed = false
    /// While accepting is paused after EMFILE: the level-triggered listener would otherwise
    /// wake the loop again at once, spinning a core and flooding the log (nginx pauses too).
    private var paused = false
    /// Pauses since the last successful accept (logged once when accepting works again).
    private var pauses = 0
    public static let exhaustedPauseMs: Int64 = 100

    /// Binds and listens (SO_REUSEADDR, and SO_REUSEPORT so several workers can share the port).
    public static func bind(host: String, port: Int, reusePort: Bool, backlog: Int = 1024) throws -> FileDescriptor {
        let fd = csys_tcp_listen(host, Int32(port), Int32(backlog), reusePort ? 1 : 0)
        if fd < 0 { throw SystemError("listen", context: "\(host):\(port)") }
        return FileDescriptor(adopting: fd)
    }

    /// Binds and listens on the unix socket `name` (`@name`: abstract namespace).
    public static func bind(unixPath name: String, backlog: Int = 128) throws -> FileDescriptor {
        let fd = csys_unix_listen(name, Int32(backlog))
        if fd < 0 { throw SystemError("listen", context: name) }
        return FileDescriptor(adopting: fd)
    }

    /// The port a listening socket is bound to (for `listen 0` in tests).
    public static func boundPort(of fd: FileDescriptor) -> Int { Int(csys_local_port(fd.rawValue)) }

    /// Accepts on a listening fd (bound here or inherited from the master), which it owns from
    /// here: `close` closes it.
    public init(fd: FileDescriptor, host: String, port: Int, loop: EventLoop) throws {
        self.descriptor = fd
        self.host = host
        self.port = port
        self.loop = loop
        try watch()
    }

    deinit { if !closed { loop.unregister(fd: fd) } }

    private var fd: Int32 { descriptor.rawValue }

    private func watch() throws {
        try loop.register(fd: fd, events: UInt32(EPOLLIN.rawValue)) { [weak self] _ in self?.acceptReady() }
    }

    /// The port actually bound (for `listen 0` in tests).
    public var boundPort: Int { Self.boundPort(of: descriptor) }

    private func acceptReady() {
        var ipbuf = [CChar](repeating: 0, count: 64)
        for _ in 0..<64 {
            var peerPort: Int32 = 0
            let c = csys_accept(fd, &ipbuf, Int32(ipbuf.count), &peerPort)
            if c < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                if errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM {
                    pause(SystemError("accept4"))
                    return
                }
                if errno != EAGAIN && errno != EWOULDBLOCK {
                    Log.errorRepeated("accept failed", "accept failed on \(host):\(port): \(SystemError("accept4"))")
                } else if pauses > 0 {
                    // The backlog drained without running out again: the episode is over.
                    Log.warn("accepting again on \(host):\(port) after \(pauses) pauses for lack of descriptors")
                    pauses = 0
                }
                return
            }
            let accepted = FileDescriptor(adopting: c)
            _ = csys_set_nodelay(c)
            let ip = ipbuf.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            // Without a taker the connection is closed at once (its owner goes here).
            onAccept?(accepted, ip, Int(peerPort))
        }
    }

    private func pause(_ error: SystemError) {
        // One line when it starts, then one a minute while it lasts.
        if pauses % 600 == 0 {
            Log.warn("accept failed on \(host):\(port): \(error); pause accepting for \(Self.exhaustedPauseMs)ms at a time until it works"
                     + (pauses > 0 ? " (\(pauses) pauses so far)" : ""))
        }
        pauses += 1
        paused = true
        loop.unregister(fd: fd)
        onExhausted?()
        loop.schedule(afterMs: Self.exhaustedPauseMs) { [weak self] in
            guard let self, self.paused, !self.closed else { return }
            self.paused = false
            do { try self.watch() } catch { Log.error("listener \(self.host):\(self.port): \(error)") }
        }
    }

    /// Stops accepting and closes the socket (graceful quit: "listeners closed").
    public func close() {
        guard !closed else { return }
        closed = true
        loop.unregister(fd: fd)
        descriptor.close()
    }
}
