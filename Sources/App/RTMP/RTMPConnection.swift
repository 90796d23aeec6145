import Core
import Kernel
import Protocol
import System

/// What an RTMP connection uses of its worker.
struct RTMPServices {
    let loop: EventLoop
    let config: ConfigStore
    let sources: SourceManager
    /// Where it deregisters when closed.
    let connections: ConnectionRegistry
    /// Told of its publishes (the master's registry).
    let siblings: SiblingLink
    /// Writes its publishes as HLS.
    let hls: HLSService
    /// Forwards, transcodes, execs its publishes.
    let hub: OriginHub
    /// http_hooks about this client.
    let hooks: HookService
    /// Edge, origin cluster, and streams of sibling workers.
    let cluster: ClusterService
    let serverPID: Int32
}

/// One RTMP client: the protocol is a server-role `RTMPSession` (handshake, chunk stream, SRS's
/// answers); this connection decides what the client may do and becomes a publisher or a player
/// of a `LiveSource`. All of it runs on the worker's loop; each event is handled to completion
/// before the next.
public final class RTMPConnection: ServerConnection {
    enum Role { case none, publisher(LiveSource), player(LiveSource), edgePublisher(EdgeForwarder) }

    public let cid: String
    let socket: StreamSocket
    let loop: EventLoop
    let config: ConfigStore
    let sources: SourceManager
    let cluster: ClusterService
    private let connections: ConnectionRegistry
    private let siblings: SiblingLink
    private let hls: HLSService
    private let hub: OriginHub
    let hooks: HookService
    /// The master's pid (SRS's `srs_pid` in the answer to `connect`).
    let serverPID: Int32
    let createdMs: Int64

    /// The protocol: bytes in, events out, SRS's answers to send.
    var rtmp = RTMPSession(role: .server, time: UInt32(truncatingIfNeeded: Clock.monotonicMs()),
                           random: FastRandom(seed: ProcessRandom.generator.next()))
    /// The handshake and command-phase deadlines.
    var startClock: RTMPStartClock
    var request = RTMPRequest()
    var role = Role.none
    var lastMediaMs: Int64 = 0
    var gotFirstMedia = false
    /// Ended by an error (`fail`, a socket error): counted in `srs_clients_errs_total`.
    var endedInError = false
    /// Edge and origin cluster state (token traverse, redirect).
    var clusterState = RTMPClusterState()
    /// Security and http_hooks state (a decision pending).
    var access = RTMPAccessState()
    /// Why reading is paused now (see `RTMPConnection+ReadPause.swift`).
    var readPauses: Set<ReadPause> = []

    // Player state.
    /// Set once playing: the bounded, merged writes of the stream.
    var output: PlayerOutput?

    /// A sibling worker's relay pull (see `Server.startRelayListener`).
    public let isInternal: Bool

    init(socket: StreamSocket, services: RTMPServices, relay: Bool = false) {
        self.socket = socket
        loop = services.loop
        config = services.config
        sources = services.sources
        cluster = services.cluster
        connections = services.connections
        siblings = services.siblings
        hls = services.hls
        hub = services.hub
        hooks = services.hooks
        serverPID = services.serverPID
        self.isInternal = relay
        self.cid = Log.newContextID()
        self.createdMs = loop.now
        self.startClock = RTMPStartClock(now: loop.now)
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
        info.url = request.stream.isEmpty ? "" : request.streamKey.url
        info.aliveMs = loop.now - createdMs
        info.sendBytes = socket.bytesWritten
        info.recvBytes = socket.bytesRead
        switch role {
        case .publisher(let s):
            info.type = rtmp.isFMLE ? "fmle-publish" : "flash-publish"
            info.publish = true
            info.streamID = s.id
        case .player(let s):
            info.type = "rtmp-play"
            info.streamID = s.id
        case .edgePublisher(let f):
            info.type = rtmp.isFMLE ? "fmle-publish" : "flash-publish"
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
            try rtmp.feed(bytes)
            try handleEvents()
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
        if case .none = role { started = clusterState.redirecting || access.deciding } else { started = true }
        startClock.observe(handshakeDone: rtmp.stage != .handshake, started: started, now: loop.now)
    }

    /// Waiting for its client to publish or play since this time; nil once it does, while an
    /// upstream or a hook decides (edge token traverse, http_hooks), and for a sibling's relay pull.
    public var waitingSinceMs: Int64? {
        guard !isInternal, !socket.closed, !clusterState.checkingToken, !access.deciding else { return nil }
        return startClock.waitingSince
    }

    public func evict(_ why: String) {
        guard !socket.closed else { return }
        let what = startClock.phase == .handshake ? "handshake" : "command phase"
        Log.warnRepeated("rtmp client closed waiting", "rtmp client \(socket.peerIP):\(socket.peerPort) closed after "
                         + "\(loop.now - startClock.since)ms in \(what), recv=\(socket.bytesRead): \(why)", cid: cid)
        socket.close()
    }

    /// Handles what the session has for us, in order; its own answers go out before ours. After
    /// a refusal the session has nothing more: what the client sent after it is ignored.
    func handleEvents() throws {
        while !socket.closed, let event = try rtmp.nextEvent() {
            writeOutput()
            try handle(event)
        }
        writeOutput()
    }

    private func handle(_ event: RTMPSessionEvent) throws {
        switch event {
        case .handshakeDone(let complex):
            Log.infoClient("handshake", "\(complex ? "complex" : "simple") handshake with \(socket.peerIP):\(socket.peerPort)")
        case .connect(let cmd):
            try onConnect(cmd)
        case .publish(let name):
            try onPublish(name)
        case .play(let name):
            try onPlay(name)
        case .unpublish, .deleteStream:
            leaveRole()
        case .media(let m):
            onMedia(m)
        case .data(let m):
            onData(m)
        case .connected, .streamCreated, .started, .status, .redirected, .rejected, .closeRequested:
            // Client-role events.
            break
        }
    }

    // MARK: - Output

    /// Writes what the session has to say (before any media queued after it).
    func writeOutput() {
        if rtmp.hasOutput { socket.send(rtmp.takeOutput()) }
    }

    // MARK: - Lifetime

    /// After answering a refusal (the session ignores what follows): close once it is sent.
    func closeAfterRefusal() {
        socket.closeWhenFlushed()
    }

    /// Logs why and closes.
    func fail(_ why: String) {
        endedInError = true
        if !socket.closed { Log.warnRepeated("rtmp client error", "rtmp client \(socket.peerIP):\(socket.peerPort) error: \(why)", cid: cid) }
        socket.close()
    }

    private func closed(_ reason: StreamSocket.CloseReason) {
        Log.cid = cid
        clusterConnectionClosed()
        leaveRole()
        accessConnectionClosed()
        Log.traceClient("rtmp client closed", "rtmp client \(socket.peerIP):\(socket.peerPort) closed (\(reason)), recv=\(socket.bytesRead), send=\(socket.bytesWritten)", cid: cid)
        if case .error = reason { endedInError = true }
        connections.remove(self, failed: endedInError)
    }

    /// A client started publishing `s` here: the other workers learn of it; HLS, forward,
    /// transcode and exec start if its vhost asks for them.
    func published(_ s: LiveSource) {
        siblings.published(s.key)
        hls.attach(s, vhost: config.current.vhost(s.vhost))
        hub.published(s, publisher: hubPublisher(of: s))
    }

    func leaveRole() {
        switch role {
        case .publisher(let s):
            s.unpublish(now: loop.now)
            Log.traceClient("unpublish stream", "unpublish stream \(s.key)", cid: cid)
            siblings.unpublished(s.key)
            hub.unpublished(s)
            hls.unpublished(s)
        case .player(let s):
            s.removeConsumer(self, now: loop.now)
        case .edgePublisher(let f):
            Log.traceClient("unpublish stream", "unpublish stream \(f.source.key) through edge", cid: cid)
            cluster.edgePublishEnded(f)
        case .none:
            break
        }
        accessRoleEnded()
        role = .none
    }

    public func tick(now: Int64) {
        if socket.closed { return }
        observeStart()
        if let why = startClock.overdue(now: now, timeouts: config.current.clientTimeouts) {
            evict(why)
            return
        }
        if isPublisherRole, let vhost = config.current.vhost(request.vhost) {
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
