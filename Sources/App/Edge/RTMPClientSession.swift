import Kernel
import Protocol
import System

/// One RTMP client connection to an upstream server, callback style on the worker's loop:
/// resolve (a host name, without blocking) → connect (TCP or unix socket) → handshake →
/// `connect` → `createStream` → `play` or `publish` → ready. In play mode the upstream's media and
/// metadata come out of `onMessage`; in publish mode `send` forwards messages. `.connectOnly`
/// stops after `connect` succeeded (SRS's token-traverse check).
///
/// Every phase has a deadline, and a ready play session must keep receiving (`idleMs`). The
/// session ends exactly once: `onClose` with the reason, or silently by `close()`.
public final class RTMPClientSession {
    /// What the session does once connected: play the stream, publish it, or only `connect`.
    public enum Mode: Sendable { case play, publish, connectOnly }

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

    enum Phase: String {
        case idle, resolve, connect, handshake, connectApp = "connect app", createStream, start, ready, closed
    }

    /// Transaction ids of our commands.
    enum Txn {
        static let connect: Double = 1
        static let releaseStream: Double = 2
        static let fcPublish: Double = 3
        static let createStream: Double = 4
        static let publish: Double = 5
    }

    /// Where it connects, what it asks for, and what it does.
    public let endpoint: UpstreamEndpoint
    public let request: UpstreamRequest
    public let mode: Mode
    /// SRS-style context id for this session's log lines.
    public let cid: String
    let timeouts: Timeouts
    let chunkSize: Int
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

    var phase = Phase.idle
    var socket: StreamSocket?
    private var connector: SocketConnector?
    private var ticker: RepeatingTimer?
    var handshakeBytes: [UInt8] = []
    var c1: [UInt8] = []
    var decoder = RTMPChunkDecoder()
    var outChunkSize = 128
    /// The stream id `createStream` gave us.
    var streamID: UInt32 = 1
    var peerAckWindow: UInt32 = 0
    var lastAckedBytes: UInt64 = 0
    private var setupStartMs: Int64 = 0
    private var lastReceiveMs: Int64 = 0

    /// A session to `endpoint`; nothing happens before `start()`. A `.tcp` host that is a name is
    /// looked up with `resolver` (its first address). `chunkSize` is what we send with.
    public init(endpoint: UpstreamEndpoint, request: UpstreamRequest, mode: Mode, loop: EventLoop,
                resolver: DNSResolver? = nil, chunkSize: Int = 60000, timeouts: Timeouts = Timeouts(),
                cid: String = Log.newContextID()) {
        self.endpoint = endpoint
        self.request = request
        self.mode = mode
        self.loop = loop
        self.resolver = resolver
        self.chunkSize = max(128, min(chunkSize, 65536))
        self.timeouts = timeouts
        self.cid = cid
    }

    deinit {
        connector?.cancel()
        ticker?.cancel()
        socket?.close()
    }

    /// True once the upstream accepted (see `onReady`) and until the session ends.
    public var isReady: Bool { phase == .ready }
    /// True once the session ended (either way).
    public var isClosed: Bool { phase == .closed }
    /// Bytes received from the upstream.
    public var bytesRead: UInt64 { socket?.bytesRead ?? 0 }
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
        guard phase == .ready, mode == .publish, let s = socket else { return }
        var out = m
        out.streamID = streamID
        out.chunkStreamID = m.type == RTMPMessageType.video ? RTMPChunkStreamID.video
            : m.type == RTMPMessageType.audio ? RTMPChunkStreamID.audio : RTMPChunkStreamID.streamData
        s.send(RTMPChunkEncoder.encode(out, chunkSize: outChunkSize))
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
            send(command: RTMPCommand(name: "FCUnpublish", transactionID: 6, arguments: [.string(request.streamName)]))
            send(command: RTMPCommand(name: "deleteStream", transactionID: 7, arguments: [.number(Double(streamID))]))
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
            let hello = RTMPHandshake.clientHello(time: UInt32(truncatingIfNeeded: Clock.monotonicMs()), using: &ProcessRandom.generator)
            c1 = Array(hello[1...])
            phase = .handshake
            setupStartMs = loop.now
            lastReceiveMs = loop.now
            s.send(hello)
        }
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        lastReceiveMs = loop.now
        do {
            if phase == .handshake {
                try handshake(Array(bytes))
            } else if phase != .closed {
                try handle(try decoder.feed(bytes))
            }
            acknowledgeIfNeeded()
        } catch let e as RTMPClientError {
            fail(e)
        } catch {
            fail(.protocolError(endpoint, "\(error)"))
        }
    }

    private func handshake(_ bytes: [UInt8]) throws {
        handshakeBytes += bytes
        guard handshakeBytes.count >= RTMPHandshake.s0s1s2Size else { return }
        let s0s1s2 = Array(handshakeBytes[0..<RTMPHandshake.s0s1s2Size])
        let rest = Array(handshakeBytes[RTMPHandshake.s0s1s2Size...])
        handshakeBytes = []
        let c2 = try RTMPHandshake.clientResponse(c1: c1, s0s1s2: s0s1s2, using: &ProcessRandom.generator)
        c1 = []
        socket?.send(c2)
        sendConnect()
        if !rest.isEmpty { try handle(try decoder.feed(rest)) }
    }

    /// Writes a protocol message as is.
    func write(_ m: RTMPMessage) {
        socket?.send(RTMPChunkEncoder.encode(m, chunkSize: outChunkSize))
    }

    func send(command: RTMPCommand, streamID: UInt32 = 0) {
        write(command.message(streamID: streamID, chunkStreamID: streamID == 0 ? RTMPChunkStreamID.command : 8))
    }

    /// Sends an Acknowledgement each time the peer's window of bytes was received (RTMP §5.4.3).
    private func acknowledgeIfNeeded() {
        guard phase != .closed, let s = socket, peerAckWindow > 0,
              s.bytesRead - lastAckedBytes >= UInt64(peerAckWindow) else { return }
        lastAckedBytes = s.bytesRead
        write(RTMPControl.acknowledgement(UInt32(truncatingIfNeeded: s.bytesRead)))
    }

    private func socketClosed(_ reason: StreamSocket.CloseReason) {
        guard phase != .closed else { return }
        fail(.closed(endpoint, phase: phase.rawValue, reason: reason.description))
    }

    private func tick() {
        let now = loop.now
        switch phase {
        case .handshake, .connectApp, .createStream, .start:
            if now - setupStartMs > timeouts.setupMs { fail(.timeout(endpoint, phase: phase.rawValue, ms: now - setupStartMs)) }
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
    func fail(_ error: RTMPClientError) {
        guard phase != .closed else { return }
        phase = .closed
        stopTimers()
        socket?.close()
        let cb = onClose
        onClose = nil
        cb?(error)
    }

    /// The upstream accepted.
    func becomeReady() {
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
