import Protocol
import System

/// HTTP/1.1 calls to peers (hook servers, coworkers' APIs) from a worker's loop, never blocking
/// it: names resolve off the loop (`HostAddressCache`: a name's addresses are used in turn, and
/// the next one is tried when a connect fails),
/// connects are non-blocking, and each call has one deadline covering its time in the queue, the
/// connect, and the answer. Connections are kept alive and reused per `address:port` (at most
/// `maxIdlePerPeer` idle ones, each closed after `idleTimeoutMs`); a reused connection that the
/// peer closed before answering is retried once on a fresh one. At most `maxActive` calls run at
/// once; up to `maxQueued` more wait in order; beyond that `start` refuses the call at once (the
/// caller decides: an informational hook is dropped, a decision refuses its client).
final class HTTPClientPool {
    typealias Completion = (Result<(HTTPResponseHead, [UInt8]), HTTPCallError>) -> Void

    struct Limits {
        var maxActive: Int
        var maxQueued: Int
        var maxIdlePerPeer = 8
        var idleTimeoutMs: Int64 = 15_000
    }

    /// A call in progress or waiting; `cancel` abandons it (no completion).
    final class Call {
        fileprivate let request: HTTPClientRequest
        fileprivate var completion: Completion?
        fileprivate var timer: TimerID?
        fileprivate var connector: SocketConnector?
        fileprivate var connection: HTTPClientConnection?
        fileprivate var queued = false
        fileprivate var finished = false
        fileprivate var retried = false
        /// The addresses of the request's host, the one to try first first.
        fileprivate var addresses: [String] = []
        fileprivate let startedMs: Int64
        fileprivate weak var pool: HTTPClientPool?

        fileprivate init(request: HTTPClientRequest, completion: @escaping Completion, now: Int64, pool: HTTPClientPool) {
            self.request = request
            self.completion = completion
            self.startedMs = now
            self.pool = pool
        }

        /// No completion will come. A waiting call leaves the queue; a running one finishes
        /// unseen (its connection may serve the next call).
        func cancel() {
            completion = nil
            if queued { pool?.finish(self, .failure(HTTPCallError(url: request.url, reason: "cancelled"))) }
        }
    }

    private let loop: EventLoop
    private let hosts: HostAddressCache
    let limits: Limits
    private var queue: [Call] = []
    private var queueHead = 0
    /// Calls running now.
    private(set) var active = 0
    private var idle: [String: [HTTPClientConnection]] = [:]
    private var turn: [String: Int] = [:]
    private var sweeper: RepeatingTimer?

    init(loop: EventLoop, hosts: HostAddressCache, limits: Limits) {
        self.loop = loop
        self.hosts = hosts
        self.limits = limits
    }

    /// Calls waiting for a slot.
    var queued: Int { queue.count - queueHead }
    /// Idle kept-alive connections.
    var idleCount: Int { idle.values.reduce(0) { $0 + $1.count } }

    /// Starts (or queues) `request`; `done` runs once, on the loop, never inside this call. Nil
    /// when every slot runs and the queue is full: nothing was started.
    func start(_ request: HTTPClientRequest, _ done: @escaping Completion) -> Call? {
        guard active < limits.maxActive || queued < limits.maxQueued else { return nil }
        let call = Call(request: request, completion: done, now: loop.now, pool: self)
        call.timer = loop.schedule(afterMs: request.timeoutMs) { [weak self, weak call] in
            guard let self, let call else { return }
            call.timer = nil
            let wherePart = call.queued ? " (queued: every connection busy)" : ""
            self.finish(call, .failure(HTTPCallError(url: request.url, reason: "no answer within \(request.timeoutMs)ms\(wherePart)")))
        }
        if active < limits.maxActive {
            loop.runSoon { [weak self] in self?.run(call) }
            active += 1
        } else {
            call.queued = true
            queue.append(call)
        }
        return call
    }

    private func run(_ call: Call) {
        guard !call.finished else { return }
        let r = call.request
        hosts.addresses(of: r.host) { [weak self] addresses in
            guard let self, !call.finished else { return }
            guard !addresses.isEmpty else {
                self.finish(call, .failure(HTTPCallError(url: r.url, reason: "cannot resolve \(r.host)")))
                return
            }
            // The name's addresses in turn; the others follow when a connect fails (a name
            // such as localhost may give ::1 first to a server listening on 127.0.0.1 only).
            let n = self.turn[r.host, default: 0] % addresses.count
            self.turn[r.host] = n + 1
            if self.turn.count > 1024 { self.turn = [r.host: n + 1] }
            var seen = Set<String>()
            call.addresses = (addresses[n...] + addresses[..<n]).filter { seen.insert($0).inserted }
            self.send(call, to: call.addresses[0], fresh: false)
        }
    }

    /// A connect to one of several addresses gets at most this long, so a silent one leaves
    /// time for the next.
    static let connectShareMs: Int64 = 3000

    private func send(_ call: Call, to address: String, fresh: Bool) {
        let r = call.request
        let key = Self.key(address, r.port)
        if !fresh, let c = takeIdle(key) {
            exchange(call, on: c, address: address)
            return
        }
        let left = max(1, r.timeoutMs - (loop.now - call.startedMs))
        let more = call.addresses.last != address
        call.connector = SocketConnector.tcp(ip: address, port: r.port, loop: loop, timeoutMs: more ? min(left, Self.connectShareMs) : left) { [weak self] result in
            call.connector = nil
            guard let self, !call.finished else {
                if case .success(let s) = result { s.close() }
                return
            }
            switch result {
            case .failure(let e):
                if !DNSResolver.isIPLiteral(r.host) { self.hosts.invalidate(r.host) }
                if more, let i = call.addresses.firstIndex(of: address) {
                    self.send(call, to: call.addresses[i + 1], fresh: false)
                    return
                }
                self.finish(call, .failure(HTTPCallError(url: r.url, reason: "\(e)")))
            case .success(let s):
                self.exchange(call, on: HTTPClientConnection(socket: s, address: address, port: r.port, loop: self.loop), address: address)
            }
        }
    }

    private func exchange(_ call: Call, on c: HTTPClientConnection, address: String) {
        call.connection = c
        c.send(call.request) { [weak self] outcome in
            call.connection = nil
            guard let self, !call.finished else {
                c.close()
                return
            }
            switch outcome {
            case .response(let head, let body):
                if c.isIdle { self.keepIdle(c) }
                self.finish(call, .success((head, body)))
            case .failed(let reason, let retryable):
                if retryable && !call.retried {
                    call.retried = true
                    self.send(call, to: address, fresh: true)
                } else {
                    self.finish(call, .failure(HTTPCallError(url: call.request.url, reason: reason)))
                }
            }
        }
    }

    fileprivate func finish(_ call: Call, _ result: Result<(HTTPResponseHead, [UInt8]), HTTPCallError>) {
        guard !call.finished else { return }
        call.finished = true
        if let t = call.timer { loop.cancel(t) }
        call.timer = nil
        call.connector?.cancel()
        call.connector = nil
        // Still talking (the deadline passed): that connection's state is unknown, drop it.
        call.connection?.close()
        call.connection = nil
        if call.queued {
            call.queued = false
            if let i = queue[queueHead...].firstIndex(where: { $0 === call }) { queue.remove(at: i) }
        } else {
            active -= 1
        }
        let cb = call.completion
        call.completion = nil
        if let cb { loop.runSoon { cb(result) } }
        startQueued()
    }

    private func startQueued() {
        while active < limits.maxActive, queueHead < queue.count {
            let next = queue[queueHead]
            queueHead += 1
            next.queued = false
            active += 1
            loop.runSoon { [weak self] in self?.run(next) }
        }
        if queueHead > 64 && queueHead * 2 > queue.count {
            queue.removeFirst(queueHead)
            queueHead = 0
        }
    }

    // MARK: - Idle connections

    private static func key(_ address: String, _ port: Int) -> String { "\(address)|\(port)" }

    private func takeIdle(_ key: String) -> HTTPClientConnection? {
        while var list = idle[key], let c = list.popLast() {
            idle[key] = list.isEmpty ? nil : list
            c.onIdleClosed = nil
            if !c.isClosed && c.isIdle { return c }
            c.close()
        }
        return nil
    }

    private func keepIdle(_ c: HTTPClientConnection) {
        let key = Self.key(c.address, c.port)
        var list = idle[key] ?? []
        list.append(c)
        if list.count > limits.maxIdlePerPeer { list.removeFirst().close() }
        idle[key] = list
        c.onIdleClosed = { [weak self] gone in self?.forget(gone) }
        if sweeper == nil {
            sweeper = loop.repeating(everyMs: 1000) { [weak self] in self?.sweep() }
        }
    }

    private func forget(_ c: HTTPClientConnection) {
        let key = Self.key(c.address, c.port)
        guard var list = idle[key], let i = list.firstIndex(where: { $0 === c }) else { return }
        list.remove(at: i)
        idle[key] = list.isEmpty ? nil : list
    }

    /// Closes connections idle for longer than `idleTimeoutMs`.
    private func sweep() {
        let now = loop.now
        for (key, list) in idle {
            let keep = list.filter { now - $0.idleSinceMs < limits.idleTimeoutMs && !$0.isClosed }
            for c in list where !keep.contains(where: { $0 === c }) { c.close() }
            idle[key] = keep.isEmpty ? nil : keep
        }
        if idle.isEmpty {
            sweeper?.cancel()
            sweeper = nil
        }
    }

    /// Closes every idle connection (quit).
    func closeIdle() {
        for list in idle.values { for c in list { c.close() } }
        idle = [:]
        sweeper?.cancel()
        sweeper = nil
    }
}
