import CSystem
import Glibc

/// A failed name lookup: the name and why.
public struct DNSError: Error, Equatable, Sendable, CustomStringConvertible {
    public let host: String
    public let reason: String

    public init(host: String, reason: String) {
        self.host = host
        self.reason = reason
    }

    public var description: String { "resolve \(host): \(reason)" }
}

/// Resolves host names without blocking the loop: each lookup runs `getaddrinfo` on a detached
/// thread (C shim `csys_dns_start`), which hands its result back through a pipe the loop watches.
/// Concurrent lookups of one name share a thread; at most `maxThreads` threads run at once, and
/// a lookup that takes longer than its deadline fails (its thread's late answer is dropped).
/// IP literals are answered without a lookup. Callbacks always run on the loop, never inside
/// `resolve`.
public final class DNSResolver {
    public typealias Completion = (Result<[String], DNSError>) -> Void

    /// Upper bound of lookup threads alive at once (a stuck DNS server cannot make us spawn more).
    public static let maxThreads = 16
    /// Deadline of a lookup unless the caller gives one.
    public static let defaultTimeoutMs: Int64 = 5000

    private struct Lookup {
        var token: UInt64
        var waiters: [Completion]
        var timer: TimerID
    }

    private let loop: EventLoop
    /// The result pipe: lookup threads write to `writeEnd`, the loop reads `readEnd`.
    private let readEnd: FileDescriptor
    private let writeEnd: FileDescriptor
    private var lookups: [String: Lookup] = [:]
    private var hostByToken: [UInt64: String] = [:]
    private var nextToken: UInt64 = 1
    /// Threads started whose result has not come back yet (including abandoned lookups).
    public private(set) var runningThreads = 0
    private var closed = false

    /// Opens the result pipe and watches it on `loop`.
    public init(loop: EventLoop) throws {
        self.loop = loop
        var fds: [Int32] = [-1, -1]
        if csys_dns_pipe(&fds) != 0 { throw SystemError("pipe2", context: "dns resolver") }
        readEnd = FileDescriptor(adopting: fds[0])
        writeEnd = FileDescriptor(adopting: fds[1])
        try loop.register(fd: readEnd.rawValue, events: UInt32(EPOLLIN.rawValue)) { [weak self] _ in self?.drain() }
    }

    deinit { close() }

    /// True for a numeric IPv4 or IPv6 address (no lookup needed).
    public static func isIPLiteral(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    /// Resolves `host` to numeric addresses (IPv4 and IPv6, in getaddrinfo's order, at most 32).
    public func resolve(_ host: String, timeoutMs: Int64 = defaultTimeoutMs, _ done: @escaping Completion) {
        if Self.isIPLiteral(host) {
            loop.runSoon { done(.success([host])) }
            return
        }
        guard !closed else {
            loop.runSoon { done(.failure(DNSError(host: host, reason: "resolver closed"))) }
            return
        }
        guard !host.isEmpty, host.utf8.count <= 253, !host.utf8.contains(0) else {
            loop.runSoon { done(.failure(DNSError(host: host, reason: "invalid name"))) }
            return
        }
        if var l = lookups[host] {
            l.waiters.append(done)
            lookups[host] = l
            return
        }
        guard runningThreads < Self.maxThreads else {
            loop.runSoon { done(.failure(DNSError(host: host, reason: "too many lookups in progress (\(Self.maxThreads))"))) }
            return
        }
        let token = nextToken
        nextToken &+= 1
        let rc = csys_dns_start(host, writeEnd.rawValue, token)
        guard rc == 0 else {
            let reason = String(cString: strerror(rc))
            loop.runSoon { done(.failure(DNSError(host: host, reason: "cannot start a lookup thread: \(reason)"))) }
            return
        }
        runningThreads += 1
        let timer = loop.schedule(afterMs: timeoutMs) { [weak self] in self?.timedOut(host, token: token, ms: timeoutMs) }
        lookups[host] = Lookup(token: token, waiters: [done], timer: timer)
        hostByToken[token] = host
    }

    /// Stops watching the pipe; lookups in progress fail. Threads still running free their results.
    public func close() {
        guard !closed else { return }
        closed = true
        loop.unregister(fd: readEnd.rawValue)
        readEnd.close()
        writeEnd.close()
        let pending = lookups
        lookups.removeAll()
        hostByToken.removeAll()
        for (host, l) in pending {
            loop.cancel(l.timer)
            let e = DNSError(host: host, reason: "resolver closed")
            for w in l.waiters { loop.runSoon { w(.failure(e)) } }
        }
    }

    private func timedOut(_ host: String, token: UInt64, ms: Int64) {
        guard let l = lookups[host], l.token == token else { return }
        lookups.removeValue(forKey: host)
        // The thread still runs; its answer will find no lookup and be dropped.
        let e = DNSError(host: host, reason: "no answer within \(ms)ms")
        for w in l.waiters { w(.failure(e)) }
    }

    private func drain() {
        while !closed, let r = csys_dns_read(readEnd.rawValue) {
            let token = r.pointee.token
            let error = r.pointee.error
            var addrs: [String] = []
            withUnsafeBytes(of: &r.pointee.addrs) { raw in
                let n = Int(max(0, min(r.pointee.count, CSYS_DNS_MAX_ADDRS)))
                for i in 0..<n {
                    let slot = UnsafeRawBufferPointer(rebasing: raw[(i * Int(CSYS_DNS_ADDR_LEN))..<((i + 1) * Int(CSYS_DNS_ADDR_LEN))])
                    let bytes = slot.prefix { $0 != 0 }
                    addrs.append(String(decoding: bytes, as: UTF8.self))
                }
            }
            csys_dns_free(r)
            runningThreads -= 1
            guard let host = hostByToken.removeValue(forKey: token), let l = lookups[host], l.token == token else { continue }
            lookups.removeValue(forKey: host)
            loop.cancel(l.timer)
            let result: Result<[String], DNSError>
            if error != 0 {
                result = .failure(DNSError(host: host, reason: String(cString: gai_strerror(error))))
            } else if addrs.isEmpty {
                result = .failure(DNSError(host: host, reason: "no address"))
            } else {
                result = .success(addrs)
            }
            for w in l.waiters { w(result) }
        }
    }
}
