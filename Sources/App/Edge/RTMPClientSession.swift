import Core
import Kernel
import Protocol
import System

/// One RTMP client connection to an upstream server, callback style on the worker's loop:
/// resolve (a host name, without blocking) → connect (TCP or unix socket) → the protocol of a
/// client `RTMPSession` (handshake, `connect`, `createStream`, `play` or `publish`) → ready. In
/// play mode the upstream's media and metadata come out of `onMessage`; in publish mode `send`
/// forwards messages. `.connectOnly` stops after `connect` succeeded (SRS's token-traverse check).
///
/// Every phase has a deadline, and a ready play session must keep receiving (`idleMs`). The
/// session ends exactly once: `onClose` with the reason, or silently by `close()`.
public final class RTMPClientSession {
    /// Deadlines, in milliseconds.
    public struct Timeouts: Equatable, Sendable {
        /// TCP/unix connect (a lookup has its own 5 s deadline).
        public var connectMs: Int64 = 3000
        /// From connected to ready: handshake, connect, createStream, play/publish.
        public var setupMs: Int64 = 5000
        /// A ready player receiving nothing, or a ready publisher's bytes not leaving, this long
        /// ends the session (SRS's edge: 5 s).
        public var idleMs: Int64 = 5000

        public init() {}
    }

    enum Phase { case idle, resolve, connect, setup, ready, closed }

    /// Where it connects, what it asks for, and what it does.
    public let endpoint: UpstreamEndpoint
    public let request: UpstreamRequest
    public let mode: RTMPClientOptions.Mode
    /// SRS-style context id for this session's log lines.
    public let cid: String
    let timeouts: Timeouts
    let loop: EventLoop
    private let resolver: DNSResolver?

    /// The upstream accepted: Play.Start / Publish.Start (or connect's `_result` for `.connectOnly`).
    public var onReady: (() -> Void)?
    /// Audio, video and data messages of the stream (play mode; aggregates are split).
    public var onMessage: ((RTMPMessage) -> Void)?
    /// The session ended on its own (not by `close()`).
    public var onClose: ((RTMPClientError) -> Void)?
    /// Publish mode: everything queued was written (for flow control of the producer).
    public var onDrained: (() -> Void)?

    private var phase = Phase.idle
    private var socket: StreamSocket?
    private var connector: SocketConnector?
    private var ticker: RepeatingTimer?
    private var rtmp: RTMPSession
    private var setupStartMs: Int64 = 0
    private var lastReceiveMs: Int64 = 0

    /// A session to `endpoint`; nothing happens before `start()`. A `.tcp` host that is a name is
    /// looked up with `resolver` (its first address). `chunkSize` is what we send with.
    public init(endpoint: UpstreamEndpoint, request: UpstreamRequest, mode: RTMPClientOptions.Mode, loop: EventLoop,
                resolver: DNSResolver? = nil, chunkSize: Int = 60000, timeouts: Timeouts = Timeouts(),
                cid: String = Log.newContextID()) {
        self.endpoint = endpoint
        self.request = request
        self.mode = mode
        self.loop = loop
        self.resolver = resolver
        self.timeouts = timeouts
        self.cid = cid
        let tcUrl = request.tcUrl(for: endpoint)
        let options = RTMPClientOptions(mode: mode, tcUrl: tcUrl, app: RTMPClientOptions.appField(of: tcUrl, fallback: request.app),
                                        streamName: request.streamName,
                                        flashVer: "FMLE/3.0 (compatible; \(Version.server))", chunkSize: chunkSize)
        rtmp = RTMPSession(role: .client(options), time: UInt32(truncatingIfNeeded: Clock.monotonicMs()),
                           random: FastRandom(seed: ProcessRandom.generator.next()))
    }

    deinit {
        connector?.cancel()
        ticker?.cancel()
        socket?.close()
    }

    /// Bytes queued towards the upstream and not yet written.
    public var pendingBytes: Int { socket?.pendingBytes ?? 0 }
    /// The tcUrl sent in `connect`.
    public var tcUrl: String { request.tcUrl(for: endpoint) }

    /// Starts connecting. Callbacks run later, on the loop.
    public func start() {
        guard phase == .idle else { return }
        ticker = loop.repeating(everyMs: 250) { [weak self] in self?.tick() }
        switch endpoint {
        case .unix(let path):
            phase = .connect
            connector = SocketConnector.unix(path: path, loop: loop, timeoutMs: timeouts.connectMs) { [weak self] r in self?.connected(r) }
        case .tcp(let host, let port):
            if DNSResolver.isIPLiteral(host) {
                connectTCP(ip: host, port: port)
            } else if let resolver {
                phase = .resolve
                resolver.resolve(host) { [weak self] result in
                    guard let self, self.phase == .resolve else { return }
                    switch result {
                    case .success(let addrs): self.connectTCP(ip: addrs[0], port: port)
                    case .failure(let e): self.fail(.resolve(self.endpoint, e))
                    }
                }
            } else {
                loop.runSoon { [weak self] in
                    guard let self, self.phase == .idle else { return }
                    self.fail(.resolve(self.endpoint, DNSError(host: host, reason: "no resolver")))
                }
            }
        }
    }

    private func connectTCP(ip: String, port: Int) {
        phase = .connect
        connector = SocketConnector.tcp(ip: ip, port: port, loop: loop, timeoutMs: timeouts.connectMs) { [weak self] r in self?.connected(r) }
    }

    /// Publish mode, once ready: sends an audio, video or data message on our stream.
    public func send(_ m: RTMPMessage) {
        guard phase == .ready, mode == .publish else { return }
        rtmp.sendMedia(m)
        writeOutput()
    }

    /// Ends the session without calling `onClose`. A ready publisher first says `FCUnpublish`
    /// and `deleteStream` (written at once, as far as the socket takes it).
    public func close() {
        guard phase != .closed else { return }
        let wasPublishing = phase == .ready && mode == .publish
        phase = .closed
        onClose = nil
        stopTimers()
        guard let s = socket else { return }
        if wasPublishing {
            rtmp.unpublish()
            writeOutput()
            // Written now: the owner usually releases the session (and its socket) right after.
            s.flush()
            s.closeWhenFlushed()
        } else {
            s.close()
        }
    }

    // MARK: - I/O

    private func connected(_ result: Result<StreamSocket, SystemError>) {
        connector = nil
        guard phase == .connect else {
            if case .success(let s) = result { s.close() }
            return
        }
        switch result {
        case .failure(let e):
            fail(.connect(endpoint, e))
        case .success(let s):
            socket = s
            s.onData = { [weak self] bytes in self?.received(bytes) }
            s.onClose = { [weak self] reason in self?.socketClosed(reason) }
            s.onDrained = { [weak self] in self?.onDrained?() }
            rtmp.start()
            phase = .setup
            setupStartMs = loop.now
            lastReceiveMs = loop.now
            writeOutput()
        }
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        lastReceiveMs = loop.now
        do {
            try rtmp.feed(bytes)
            while phase != .closed, let event = try rtmp.nextEvent() {
                writeOutput()
                handle(event)
            }
            writeOutput()
        } catch {
            fail(.protocolError(endpoint, "\(error)"))
        }
    }

    private func handle(_ event: RTMPSessionEvent) {
        switch event {
        case .connected:
            if mode == .connectOnly { becomeReady() }
        case .started:
            becomeReady()
        case .media(let m), .data(let m):
            if phase == .ready && mode == .play { onMessage?(m) }
        case .redirected(let url):
            fail(.redirected(endpoint, to: url))
        case .rejected(let code, let description):
            fail(.rejected(endpoint, code: code, description: description))
        case .closeRequested:
            fail(.closed(endpoint, phase: stageName, reason: "upstream sent close"))
        case .handshakeDone, .streamCreated, .status, .connect, .publish, .play, .unpublish, .deleteStream:
            break
        }
    }

    /// Writes what the protocol has to say.
    private func writeOutput() {
        guard rtmp.hasOutput else { return }
        socket?.send(rtmp.takeOutput())
    }

    /// The phase, for error messages: the protocol's stage while setting up.
    private var stageName: String {
        switch phase {
        case .idle: return "idle"
        case .resolve: return "resolve"
        case .connect: return "connect"
        case .setup: return rtmp.stage.description
        case .ready: return "ready"
        case .closed: return "closed"
        }
    }

    private func socketClosed(_ reason: StreamSocket.CloseReason) {
        guard phase != .closed else { return }
        fail(.closed(endpoint, phase: stageName, reason: reason.description))
    }

    private func tick() {
        let now = loop.now
        switch phase {
        case .setup:
            if now - setupStartMs > timeouts.setupMs { fail(.timeout(endpoint, phase: stageName, ms: now - setupStartMs)) }
        case .ready:
            if mode == .play, now - lastReceiveMs > timeouts.idleMs {
                fail(.timeout(endpoint, phase: "receive", ms: now - lastReceiveMs))
            } else if mode == .publish, let s = socket, s.pendingBytes > 0, now - s.lastWriteProgressMs > timeouts.idleMs {
                fail(.timeout(endpoint, phase: "send", ms: now - s.lastWriteProgressMs))
            }
        case .idle, .resolve, .connect, .closed:
            break
        }
    }

    /// Ends the session with `error`: closes everything, then tells the owner.
    private func fail(_ error: RTMPClientError) {
        guard phase != .closed else { return }
        phase = .closed
        stopTimers()
        socket?.close()
        let cb = onClose
        onClose = nil
        cb?(error)
    }

    /// The upstream accepted.
    private func becomeReady() {
        phase = .ready
        lastReceiveMs = loop.now
        onReady?()
    }

    private func stopTimers() {
        ticker?.cancel()
        ticker = nil
        connector?.cancel()
        connector = nil
    }
}
