import CSystem
import Glibc

/// An outbound stream connection in progress: TCP to a numeric address, or a unix socket. The
/// result is delivered once, on the loop, never from inside `tcp`/`unix`; `cancel` abandons the
/// attempt without a callback. A deadline bounds the attempt (a SYN to a vanished pod's address
/// would otherwise wait for the kernel's retries, about two minutes). A pending connector keeps
/// itself alive until it completes or is cancelled, so callers need not hold it.
public final class SocketConnector {
    public typealias Completion = (Result<StreamSocket, SystemError>) -> Void

    private let loop: EventLoop
    /// The socket while the attempt is pending (then the connected `StreamSocket` owns it).
    private var pending: FileDescriptor?
    private var timer: TimerID?
    private var completion: Completion?
    private let label: String
    private let peerIP: String
    private let peerPort: Int
    private let isTCP: Bool
    /// Set while the attempt is pending: the loop's callbacks hold the connector only weakly.
    private var keepAlive: SocketConnector?

    private init(loop: EventLoop, label: String, peerIP: String, peerPort: Int, isTCP: Bool, completion: @escaping Completion) {
        self.loop = loop
        self.label = label
        self.peerIP = peerIP
        self.peerPort = peerPort
        self.isTCP = isTCP
        self.completion = completion
    }

    /// Connects to `ip:port` (a numeric IPv4 or IPv6 address) within `timeoutMs`.
    @discardableResult
    public static func tcp(ip: String, port: Int, loop: EventLoop, timeoutMs: Int64,
                           _ completion: @escaping Completion) -> SocketConnector {
        let label = ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        let c = SocketConnector(loop: loop, label: label, peerIP: ip, peerPort: port, isTCP: true, completion: completion)
        c.begin(fd: csys_tcp_connect(ip, Int32(port)), timeoutMs: timeoutMs)
        return c
    }

    /// Connects to the unix socket `path` (`@name`: abstract namespace) within `timeoutMs`.
    @discardableResult
    public static func unix(path: String, loop: EventLoop, timeoutMs: Int64,
                            _ completion: @escaping Completion) -> SocketConnector {
        let c = SocketConnector(loop: loop, label: "unix:\(path)", peerIP: path, peerPort: 0, isTCP: false, completion: completion)
        c.begin(fd: csys_unix_connect(path), timeoutMs: timeoutMs)
        return c
    }

    /// Abandons the attempt: closes the pending socket; the completion is never called.
    public func cancel() {
        completion = nil
        cleanup()
    }

    private func begin(fd raw: Int32, timeoutMs: Int64) {
        keepAlive = self
        guard raw >= 0 else {
            let e = SystemError("connect", context: label)
            loop.runSoon { [self] in finish(.failure(e)) }
            return
        }
        pending = FileDescriptor(adopting: raw)
        do {
            try loop.register(fd: raw, events: EventLoop.writable) { [weak self] _ in self?.ready() }
        } catch let e as SystemError {
            loop.runSoon { [self] in finish(.failure(e)) }
            return
        } catch {
            loop.runSoon { [self] in finish(.failure(SystemError("epoll_ctl", errno: EINVAL, context: label))) }
            return
        }
        timer = loop.schedule(afterMs: timeoutMs) { [weak self] in
            guard let self else { return }
            self.timer = nil
            self.finish(.failure(SystemError("connect", errno: ETIMEDOUT, context: "\(self.label) after \(timeoutMs)ms")))
        }
    }

    private func ready() {
        guard let connected = pending else { return }
        var err: Int32 = 0
        if csys_socket_error(connected.rawValue, &err) != 0 || err != 0 {
            finish(.failure(SystemError("connect", errno: err == 0 ? errno : err, context: label)))
            return
        }
        loop.unregister(fd: connected.rawValue)
        if isTCP { _ = csys_set_nodelay(connected.rawValue) }
        pending = nil
        do {
            let s = try StreamSocket(fd: connected, peerIP: peerIP, peerPort: peerPort, loop: loop)
            finish(.success(s))
        } catch let e as SystemError {
            connected.close()
            finish(.failure(e))
        } catch {
            connected.close()
            finish(.failure(SystemError("epoll_ctl", errno: EINVAL, context: label)))
        }
    }

    private func finish(_ result: Result<StreamSocket, SystemError>) {
        cleanup()
        guard let cb = completion else {
            if case .success(let s) = result { s.close() }
            return
        }
        completion = nil
        cb(result)
    }

    private func cleanup() {
        keepAlive = nil
        if let t = timer {
            loop.cancel(t)
            timer = nil
        }
        if let fd = pending {
            loop.unregister(fd: fd.rawValue)
            fd.close()
            pending = nil
        }
    }

    deinit {
        if let fd = pending { loop.unregister(fd: fd.rawValue) }
    }
}
