import Kernel
import Protocol
import System

/// One RTMP client: handshake, chunk stream, then commands. A connection becomes a publisher or a
/// player of a `LiveSource`. All of it runs on the worker's loop; each incoming message is handled
/// to completion before the next.
public final class RTMPConnection: ServerConnection {
    enum Phase { case c0c1, c2, messages }
    enum Role { case none, publisher(LiveSource), player(LiveSource), edgePublisher(EdgeForwarder) }

    public let cid: String
    let socket: StreamSocket
    unowned let server: Server
    let createdMs: Int64

    var phase = Phase.c0c1
    /// The handshake and command-phase deadlines.
    var startClock: RTMPStartClock
    var handshakeBytes: [UInt8] = []
    var decoder = RTMPChunkDecoder()
    var request = RTMPRequest()
    var connected = false
    var role = Role.none
    /// FMLE clients (ffmpeg, OBS) call releaseStream/FCPublish before publish.
    var fmle = false
    var outChunkSize = 128
    var peerAckWindow: UInt32 = 0
    var lastAckedBytes: UInt64 = 0
    var lastMediaMs: Int64 = 0
    var gotFirstMedia = false
    /// Edge and origin cluster state (token traverse, redirect).
    var cluster = RTMPClusterState()
    /// Set once a refusal was answered: the connection closes when it is sent, and what the
    /// client sent after the refused command is ignored.
    private(set) var refused = false
    /// Why reading is paused now (see `RTMPConnection+ReadPause.swift`).
    var readPauses: Set<ReadPause> = []

    // Player state.
    /// Set once playing: the bounded, merged writes of the stream.
    var output: PlayerOutput?

    /// A sibling worker's relay pull (see `Server.startRelayListener`).
    public let isInternal: Bool

    init(socket: StreamSocket, server: Server, relay: Bool = false) {
        self.socket = socket
        self.server = server
        self.isInternal = relay
        self.cid = Log.newContextID()
        self.createdMs = server.loop.now
        self.startClock = RTMPStartClock(now: server.loop.now)
        socket.onData = { [unowned self] bytes in self.received(bytes) }
        socket.onClose = { [unowned self] reason in self.closed(reason) }
    }

    public func close() { socket.close() }

    public var isIdleForQuit: Bool {
        if case .player(let s) = role { return !s.isPublished }
        return false
    }

    public var clientInfo: ClientInfo {
        var info = ClientInfo(id: cid, ip: socket.peerIP)
        info.vhost = request.vhost
        info.app = request.app
        info.stream = request.stream
        info.tcUrl = request.tcUrl
        info.pageUrl = request.pageUrl
        info.swfUrl = request.swfUrl
        info.url = request.stream.isEmpty ? "" : request.streamURL
        info.aliveMs = server.loop.now - createdMs
        info.sendBytes = socket.bytesWritten
        info.recvBytes = socket.bytesRead
        switch role {
        case .publisher(let s):
            info.type = fmle ? "fmle-publish" : "flash-publish"
            info.publish = true
            info.streamID = s.id
        case .player(let s):
            info.type = "rtmp-play"
            info.streamID = s.id
        case .edgePublisher(let f):
            info.type = fmle ? "fmle-publish" : "flash-publish"
            info.publish = true
            info.streamID = f.source.id
        case .none:
            info.type = "unknown"
        }
        return info
    }

    // MARK: - Input

    private func received(_ bytes: UnsafeRawBufferPointer) {
        Log.cid = cid
        do {
            switch phase {
            case .c0c1, .c2:
                try handshake(bytes)
            case .messages:
                try handle(try decoder.feed(bytes))
            }
            acknowledgeIfNeeded()
            pauseReadingWhileAnswersPileUp()
        } catch {
            fail("\(error)")
        }
        observeStart()
    }

    /// Moves the start clock to where the connection is now (after input, and every tick: a
    /// role may also change when an upstream answers).
    func observeStart() {
        let started: Bool
        if case .none = role { started = cluster.redirecting } else { started = true }
        startClock.observe(handshakeDone: phase == .messages, started: started, now: server.loop.now)
    }

    /// Waiting for its client to publish or play since this time; nil once it does, while an
    /// upstream decides (edge token traverse), and for a sibling's relay pull.
    public var waitingSinceMs: Int64? {
        guard !isInternal, !socket.closed, cluster.held == nil else { return nil }
        return startClock.waitingSince
    }

    public func evict(_ why: String) {
        guard !socket.closed else { return }
        let what = startClock.phase == .handshake ? "handshake" : "command phase"
        Log.warnRepeated("rtmp client closed waiting", "rtmp client \(socket.peerIP):\(socket.peerPort) closed after "
                         + "\(server.loop.now - startClock.since)ms in \(what), recv=\(socket.bytesRead): \(why)", cid: cid)
        socket.close()
    }

    private func handshake(_ bytes: UnsafeRawBufferPointer) throws {
        handshakeBytes.append(contentsOf: bytes)
        if phase == .c0c1 {
            guard handshakeBytes.count >= RTMPHandshake.c0c1Size else { return }
            let c0c1 = Array(handshakeBytes[0..<RTMPHandshake.c0c1Size])
            let (s0s1s2, complex) = try RTMPHandshake.serverResponse(
                c0c1: c0c1, time: UInt32(truncatingIfNeeded: Clock.monotonicMs()), using: &ProcessRandom.generator)
            socket.send(s0s1s2)
            Log.infoClient("handshake", "\(complex ? "complex" : "simple") handshake with \(socket.peerIP):\(socket.peerPort)")
            handshakeBytes.removeFirst(RTMPHandshake.c0c1Size)
            phase = .c2
        }
        if phase == .c2 {
            guard handshakeBytes.count >= RTMPHandshake.c2Size else { return }
            let rest = Array(handshakeBytes[RTMPHandshake.c2Size...])
            handshakeBytes = []
            phase = .messages
            if !rest.isEmpty { try handle(try decoder.feed(rest)) }
        }
    }

    func handle(_ messages: [RTMPMessage]) throws {
        for m in messages {
            if socket.closed || refused { return }
            if try holdDuringTokenTraverse(m) { continue }
            try handle(m)
        }
    }

    private func handle(_ m: RTMPMessage) throws {
        switch m.type {
        case RTMPMessageType.audio, RTMPMessageType.video:
            onMedia(m)
        case RTMPMessageType.amf0Data, RTMPMessageType.amf3Data:
            onData(m)
        case RTMPMessageType.amf0Command, RTMPMessageType.amf3Command:
            try onCommand(RTMPCommand.decode(type: m.type, payload: m.payload), m)
        case RTMPMessageType.windowAckSize:
            var r = ByteReader(m.payload)
            peerAckWindow = try r.u32()
        case RTMPMessageType.userControl:
            var r = ByteReader(m.payload)
            if try r.u16() == RTMPControl.pingRequest {
                send(RTMPControl.userControl(event: RTMPControl.pingResponse, value: try r.u32()))
            }
        default:
            // Set chunk size and abort were applied by the decoder; acks and bandwidth need nothing.
            break
        }
    }

    /// Sends an Acknowledgement each time the peer's window of bytes was received (RTMP §5.4.3).
    private func acknowledgeIfNeeded() {
        guard peerAckWindow > 0, socket.bytesRead - lastAckedBytes >= UInt64(peerAckWindow) else { return }
        lastAckedBytes = socket.bytesRead
        send(RTMPControl.acknowledgement(UInt32(truncatingIfNeeded: socket.bytesRead)))
    }

    // MARK: - Output

    func send(_ m: RTMPMessage) {
        socket.send(RTMPChunkEncoder.encode(m, chunkSize: outChunkSize))
    }

    // MARK: - Lifetime

    /// After answering a refusal: close once it is sent, ignore the rest.
    func closeAfterRefusal() {
        refused = true
        socket.closeWhenFlushed()
    }

    /// Logs why and closes.
    func fail(_ why: String) {
        if !socket.closed { Log.warnRepeated("rtmp client error", "rtmp client \(socket.peerIP):\(socket.peerPort) error: \(why)", cid: cid) }
        socket.close()
    }

    private func closed(_ reason: StreamSocket.CloseReason) {
        Log.cid = cid
        clusterConnectionClosed()
        leaveRole()
        Log.traceClient("rtmp client closed", "rtmp client \(socket.peerIP):\(socket.peerPort) closed (\(reason)), recv=\(socket.bytesRead), send=\(socket.bytesWritten)", cid: cid)
        server.remove(self)
    }

    func leaveRole() {
        switch role {
        case .publisher(let s):
            s.unpublish(now: server.loop.now)
            Log.traceClient("unpublish stream", "unpublish stream \(s.key)", cid: cid)
            server.streamUnpublished(s)
        case .player(let s):
            s.removeConsumer(self, now: server.loop.now)
        case .edgePublisher(let f):
            Log.traceClient("unpublish stream", "unpublish stream \(f.source.key) through edge", cid: cid)
            server.cluster.edgePublishEnded(f)
        case .none:
            break
        }
        role = .none
    }

    public func tick(now: Int64) {
        if socket.closed { return }
        observeStart()
        if let why = startClock.overdue(now: now, timeouts: server.config.clientTimeouts) {
            evict(why)
            return
        }
        if isPublisherRole, let vhost = server.config.vhost(request.vhost) {
            let limit = Int64(gotFirstMedia ? vhost.publish.normalTimeoutMs : vhost.publish.firstPacketTimeoutMs)
            if now - lastMediaMs > limit {
                fail("publisher sent no media for \(now - lastMediaMs)ms (timeout \(limit)ms)")
                return
            }
        }
        if socket.pendingBytes > 0 && now - socket.lastWriteProgressMs > Server.sendTimeoutMs {
            fail("peer read nothing for \(now - socket.lastWriteProgressMs)ms")
        }
    }
}
