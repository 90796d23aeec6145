import Core
import Kernel
import Protocol
import SRT
import System

/// What an SRT client uses of its worker.
struct SRTServices {
    let loop: EventLoop
    let config: ConfigStore
    let sources: SourceManager
    let connections: ConnectionRegistry
    let siblings: SiblingLink
    let hls: HLSService
    let hub: OriginHub
    let hooks: HookService
    let cluster: ClusterService
}

/// One SRT client, as SRS's `SrsMpegtsSrtConn`: its stream id says publish or play
/// (`m=request`). A publisher's MPEG-TS is demuxed into the live source (so it plays over
/// RTMP, HTTP-FLV, HLS, SRT, and through the relay on other workers); a player is a consumer
/// of the live source, whoever publishes it, and gets the stream remuxed to MPEG-TS.
final class SRTClient: ServerConnection {
    enum Role { case none, publisher(LiveSource), player(LiveSource) }

    let cid: String
    let connection: SRTConnection
    let services: SRTServices
    let request: RTMPRequest
    let mode: SRTStreamID.Mode
    private let createdMs: Int64
    private(set) var role = Role.none
    private var closedAlready = false
    /// Admitted to publish or play (hooks then get `on_close` at the end).
    private var served = false
    /// The hooks deciding now (what the publisher sends meanwhile is dropped).
    private var decision: HookService.Decision?

    // Publisher.
    private var converter = TSFLVConverter()
    /// Both sequence headers before the first frame, as an RTMP publisher sends them.
    private var startGate = TSFLVStartGate()
    private var lastMediaMs: Int64 = 0
    private var gotFirstMedia = false

    // Player.
    private var remuxer = TSRemuxer()
    /// Waits for a random access point (PAT, PMT, keyframe): at the start, and after `send`
    /// refused (the player fell behind).
    private var waitingRandomAccess = true
    private var dropped = 0

    /// Takes an accepted connection whose stream id parsed (the handshake checked it).
    init(connection: SRTConnection, id: SRTStreamID, localPort: Int, services: SRTServices) {
        self.connection = connection
        self.services = services
        cid = Log.newContextID()
        createdMs = services.loop.now
        mode = id.mode
        var r = id.request(host: "127.0.0.1", port: localPort)
        if let v = services.config.current.vhost(r.vhost) { r.vhost = v.name }
        request = r
        connection.onMessage = { [unowned self] bytes in self.received(bytes) }
        connection.onClose = { [unowned self] error in self.closed("\(error)") }
    }

    private var loop: EventLoop { services.loop }
    private var config: ConfigStore { services.config }

    var hookClient: HookClient {
        HookClient(clientID: cid, ip: connection.peerHost, vhost: request.vhost, app: request.app, stream: request.stream,
                   param: request.param, tcUrl: request.tcUrl, pageUrl: "", streamID: StableID.make(request.streamKey))
    }

    /// Decides what the client may do: SRS's checks (the vhost, `srt.enabled`), the security
    /// rules and the hooks (on_connect, then on_publish or on_play), then serves it.
    func start() {
        Log.cid = cid
        let action: SecurityRules.Action = mode == .publish ? .publish : .play
        guard let vhost = config.current.vhost(request.vhost) else { return refuse("vhost \(request.vhost) not found") }
        guard vhost.srt.enabled else { return refuse("srt disabled, vhost=\(vhost.name)") }
        if mode == .publish && !vhost.srt.toRTMP { return refuse("srt_to_rtmp off: SRT-only streams are not supported") }
        if mode == .publish && vhost.cluster.isEdge { return refuse("SRT publish to an edge vhost is not supported") }
        if let why = vhost.security.refusal(action, ip: connection.peerHost) { return refuse("security: \(why)") }
        let event: HookEvent = action == .publish ? .publish : .play
        let asked = [(HookEvent.connect, vhost.hooks.urls(.connect)), (event, vhost.hooks.urls(event))]
        decision = services.hooks.decide(asked, client: hookClient, timeoutMs: vhost.hooks.timeoutMs) { [weak self] refusal in
            guard let self, self.decision != nil, !self.closedAlready else { return }
            Log.cid = self.cid
            self.decision = nil
            if let refusal { return self.refuse(refusal) }
            self.serve()
        }
        if decision == nil { serve() }
    }

    private func refuse(_ why: String) {
        Log.warnRepeated("srt reject", "srt: reject \(mode == .publish ? "publish" : "play") \(request.streamKey): \(why)", cid: cid)
        close()
    }

    private func serve() {
        served = true
        let source = services.sources.fetchOrCreate(request.streamKey, now: loop.now)
        if mode == .publish {
            guard source.publish(cid: cid, now: loop.now) else {
                return refuse("stream \(source.key) is busy (publisher \(source.publisherCID ?? "-"))")
            }
            role = .publisher(source)
            source.tcUrl = request.tcUrl
            lastMediaMs = loop.now
            Log.traceClient("start publish stream", "SRT start publish stream \(source.key), tcUrl=\(request.tcUrl)", cid: cid)
            services.siblings.published(source.key)
            services.hls.attach(source, vhost: config.current.vhost(source.vhost))
            services.hub.published(source, publisher: hubPublisher(of: source))
            services.hooks.streamStarted(.publish, client: hookClient)
        } else {
            role = .player(source)
            Log.traceClient("start play stream", "SRT start play stream \(source.key), published=\(source.isPublished), consumers=\(source.consumerCount + 1)", cid: cid)
            source.addConsumer(self, now: loop.now)
            if let vhost = config.current.vhost(request.vhost) {
                services.cluster.playerJoined(source, vhost: vhost, upstream: UpstreamRequest(
                    vhost: request.vhost, app: request.app, stream: request.stream, query: request.param, cluster: vhost.cluster))
            }
            services.hooks.streamStarted(.play, client: hookClient)
        }
    }

    private func hubPublisher(of s: LiveSource) -> OriginHub.Publisher {
        let port = config.current.listen.first?.port ?? 1935
        let stream = StreamProcessPlan.Stream(vhost: s.vhost, app: s.app, stream: s.stream, param: request.param, port: port,
                                              host: request.host, tcUrl: request.tcUrl, swfUrl: "", pageUrl: "")
        return OriginHub.Publisher(stream: stream, cid: cid, ip: connection.peerHost)
    }

    // MARK: - Publisher

    private func received(_ bytes: ArraySlice<UInt8>) {
        guard case .publisher(let source) = role else { return }
        Log.cid = cid
        for out in converter.feed(bytes) {
            switch out {
            case .frame(let f):
                lastMediaMs = loop.now
                gotFirstMedia = true
                for g in startGate.pass(f, expectsVideo: converter.video != nil, expectsAudio: converter.audio != nil) {
                    source.onMessage(MediaMessage(type: g.type, timestamp: g.timestamp, payload: g.payload))
                }
            case .unsupported(let es):
                if es.streamType == 0x24 {
                    fail("SRT: HEVC is not supported")
                    return
                }
                Log.warnRepeated("srt unsupported stream", "srt: \(source.key): \(es) not supported, ignored", cid: cid)
            }
        }
    }

    // MARK: - Lifetime

    var isIdleForQuit: Bool {
        if case .player(let s) = role { return !s.isPublished }
        return false
    }

    var waitingSinceMs: Int64? { nil }

    func evict(_ why: String) { fail(why) }

    func fail(_ why: String) {
        guard !closedAlready else { return }
        Log.warnRepeated("srt client error", "srt client \(connection.peerHost):\(connection.peerPort) error: \(why)", cid: cid)
        close()
    }

    /// Closes the connection now (from the server: quit, reload, refusal).
    func close() {
        guard !closedAlready else { return }
        connection.close()
        closed("closed by server")
    }

    private func closed(_ reason: String) {
        guard !closedAlready else { return }
        closedAlready = true
        Log.cid = cid
        decision?.cancel()
        decision = nil
        let stats = statsText
        leaveRole()
        Log.traceClient("srt client closed", "srt client \(connection.peerHost):\(connection.peerPort) closed (\(reason)), "
                        + "recv=\(connection.bytesReceived), send=\(connection.bytesSent)\(stats)", cid: cid)
        if served { services.hooks.rtmpClosed(client: hookClient, sendBytes: connection.bytesSent, recvBytes: connection.bytesReceived) }
        services.connections.remove(self)
    }

    private func leaveRole() {
        switch role {
        case .publisher(let s):
            var last: [TSFLVConverter.Frame] = []
            for out in converter.flush() { if case .frame(let f) = out { last.append(f) } }
            if !startGate.isOpen { last = startGate.release() + last }
            for f in last { s.onMessage(MediaMessage(type: f.type, timestamp: f.timestamp, payload: f.payload)) }
            s.unpublish(now: loop.now)
            Log.traceClient("unpublish stream", "unpublish stream \(s.key)", cid: cid)
            services.siblings.unpublished(s.key)
            services.hub.unpublished(s)
            services.hls.unpublished(s)
            services.hooks.streamEnded(cid: cid)
        case .player(let s):
            s.removeConsumer(self, now: loop.now)
            services.hooks.streamEnded(cid: cid)
        case .none:
            break
        }
        role = .none
    }

    /// libsrt's counters, as SRS logs them.
    private var statsText: String {
        guard let s = connection.stats() else { return "" }
        switch role {
        case .publisher: return ", pktRecv=\(s.packetsReceived), pktRcvLoss=\(s.packetsReceiveLoss), pktRcvDrop=\(s.packetsReceiveDropped)"
        default: return ", pktSent=\(s.packetsSent), pktSndLoss=\(s.packetsSendLoss), pktSndDrop=\(s.packetsSendDropped)"
        }
    }

    func tick(now: Int64) {
        guard !closedAlready else { return }
        // libsrt has no statistics for a broken socket: the connection keeps the last read.
        _ = connection.stats()
        if case .publisher = role, let vhost = config.current.vhost(request.vhost) {
            let limit = Int64(gotFirstMedia ? vhost.publish.normalTimeoutMs : vhost.publish.firstPacketTimeoutMs)
            if now - lastMediaMs > limit { fail("publisher sent no media for \(now - lastMediaMs)ms (timeout \(limit)ms)") }
        }
    }

    var clientInfo: ClientInfo {
        var info = ClientInfo(id: cid, ip: connection.peerHost)
        info.vhost = request.vhost
        info.app = request.app
        info.stream = request.stream
        info.tcUrl = request.tcUrl
        info.url = request.streamKey.url
        info.aliveMs = loop.now - createdMs
        info.sendBytes = connection.bytesSent
        info.recvBytes = connection.bytesReceived
        switch role {
        case .publisher(let s):
            info.type = "srt-publish"
            info.publish = true
            info.streamID = s.id
        case .player(let s):
            info.type = "srt-play"
            info.streamID = s.id
        case .none:
            info.type = mode == .publish ? "srt-publish" : "srt-play"
            info.publish = mode == .publish
        }
        return info
    }
}

extension SRTClient: LiveConsumer {
    /// Each message remuxed to TS for this player (its own continuity counters), sent in
    /// 1316-byte messages; when libsrt's queue is full the player drops to the next keyframe.
    func deliver(_ m: MediaMessage) {
        let out: TSRemuxer.Output?
        if m.isData {
            remuxer.metadata(m.payload)
            return
        } else if m.isVideo {
            out = remuxer.video(timestamp: m.timestamp, payload: m.payload)
        } else if m.isAudio {
            out = remuxer.audio(timestamp: m.timestamp, payload: m.payload)
        } else {
            return
        }
        guard let out, !out.bytes.isEmpty else { return }
        if waitingRandomAccess {
            guard out.isRandomAccess else { return }
            waitingRandomAccess = false
        }
        if !connection.send(out.bytes[...]) {
            waitingRandomAccess = true
            dropped += 1
            Log.warnRepeated("srt player too slow", "srt player too slow: \(connection.bytesSent) bytes sent, "
                             + "\(connection.queuedBytes) queued, waiting for the next keyframe", cid: cid)
        }
    }

    func sourceUnpublished() {}
    func sourcePublished() {}
}
