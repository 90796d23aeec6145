import Glibc
import Protocol
import System

/// The publish side of an edge for one stream (SRS's `SrsPublishEdge` + `SrsEdgeForwarder`): the
/// client's publish is forwarded to an origin. The origin is picked round-robin; when it cannot be
/// reached the next ones are tried, once each. What the client sends before the upstream accepted
/// is queued (bounded). Once forwarding, losing the upstream ends the client's publish (as SRS:
/// the client reconnects, there is no transparent re-publish). If the upstream reads slower than
/// the client sends, the client is paused (TCP backpressure) instead of queueing without bound.
final class EdgeForwarder {
    /// Messages and bytes queued before the upstream accepted.
    static let maxQueuedMessages = 4096
    static let maxQueuedBytes = 16 * 1024 * 1024
    /// Pause the client while this much is waiting to go upstream; resume when it drained.
    static let pauseAboveBytes = 8 * 1024 * 1024

    let request: UpstreamRequest
    /// The local source of the stream (for the API; the forwarder does not publish it).
    let source: LiveSource
    let cid: String
    /// The upstream failed or refused: the client's publish must end.
    var onFailure: ((RTMPClientError) -> Void)?
    /// true: stop reading the client; false: resume.
    var onBackpressure: ((Bool) -> Void)?

    private let loop: EventLoop
    private let resolver: DNSResolver?
    private let endpoints: StreamIngester.EndpointProvider
    private let pickFirst: (Int) -> Int
    private let timeouts: RTMPClientSession.Timeouts
    private let chunkSize: Int
    private var session: RTMPClientSession?
    private var candidates: [UpstreamEndpoint] = []
    private var tried = 0
    private var firstIndex = 0
    private var queue: [RTMPMessage] = []
    private var queuedBytes = 0
    private var paused = false
    private(set) var forwarding = false
    private(set) var stopped = false
    private(set) var messagesOut: UInt64 = 0

    /// `pickFirst(n)` chooses the first of `n` endpoints to try (the owner's round robin).
    init(request: UpstreamRequest, source: LiveSource, loop: EventLoop, resolver: DNSResolver?,
         timeouts: RTMPClientSession.Timeouts = RTMPClientSession.Timeouts(), chunkSize: Int = 60000, cid: String,
         pickFirst: @escaping (Int) -> Int, endpoints: @escaping StreamIngester.EndpointProvider) {
        self.request = request
        self.source = source
        self.loop = loop
        self.resolver = resolver
        self.timeouts = timeouts
        self.chunkSize = chunkSize
        self.cid = cid
        self.pickFirst = pickFirst
        self.endpoints = endpoints
    }

    deinit { session?.close() }

    var endpoint: UpstreamEndpoint? { session?.endpoint }

    /// Enters SRS's publish state and connects upstream.
    func start() {
        Log.traceClient("edge push", "edge change from \(PlayEdge.State.initial.rawValue) to state \(PlayEdge.State.publish.rawValue) (push).", cid: cid)
        endpoints { [weak self] list in
            guard let self, !self.stopped else { return }
            guard !list.isEmpty else {
                self.fail(.connect(.tcp(host: self.request.vhost, port: 0),
                                   SystemError("connect", errno: EHOSTUNREACH, context: "no origin address for \(self.request.key)")))
                return
            }
            self.candidates = list
            self.firstIndex = self.pickFirst(list.count) % list.count
            self.tryNext()
        }
    }

    private func tryNext() {
        let e = candidates[(firstIndex + tried) % candidates.count]
        tried += 1
        let s = RTMPClientSession(endpoint: e, request: request, mode: .publish, loop: loop, resolver: resolver,
                                  chunkSize: chunkSize, timeouts: timeouts, cid: cid)
        session = s
        s.onReady = { [weak self, weak s] in
            guard let self, let s, self.session === s else { return }
            self.ready(s)
        }
        s.onClose = { [weak self, weak s] error in
            guard let self, let s, self.session === s else { return }
            self.session = nil
            if !self.forwarding, self.tried < self.candidates.count, !self.isFinal(error) {
                Log.warnRepeated("edge push", "edge push \(self.request.key): \(error), try the next origin", cid: self.cid)
                self.tryNext()
            } else {
                self.fail(error)
            }
        }
        s.onDrained = { [weak self] in
            guard let self, self.paused else { return }
            self.paused = false
            self.onBackpressure?(false)
        }
        s.start()
    }

    /// A refusal of the stream itself (busy, bad name) would be the same on every origin.
    private func isFinal(_ e: RTMPClientError) -> Bool {
        if case .rejected(_, let code, _) = e { return code.hasPrefix("NetStream.Publish") }
        return false
    }

    private func ready(_ s: RTMPClientSession) {
        forwarding = true
        Log.traceClient("edge push", "edge-fwr publish url \(s.tcUrl)/\(request.streamName), stream=\(request.stream) to \(s.endpoint)", cid: cid)
        let pending = queue
        queue.removeAll()
        queuedBytes = 0
        for m in pending { send(m) }
    }

    /// A message from the client publisher: forwarded, or queued until the upstream accepted.
    func forward(_ m: RTMPMessage) {
        guard !stopped else { return }
        if forwarding {
            send(m)
            return
        }
        queue.append(m)
        queuedBytes += m.payload.count
        if queue.count > Self.maxQueuedMessages || queuedBytes > Self.maxQueuedBytes {
            let e = session?.endpoint ?? candidates.first ?? .tcp(host: request.vhost, port: 0)
            fail(.protocolError(e, "upstream not ready, \(queue.count) messages (\(queuedBytes) bytes) queued"))
        }
    }

    private func send(_ m: RTMPMessage) {
        guard let s = session else { return }
        s.send(m)
        messagesOut += 1
        if !paused && s.pendingBytes > Self.pauseAboveBytes {
            paused = true
            onBackpressure?(true)
        }
    }

    private func fail(_ error: RTMPClientError) {
        guard !stopped else { return }
        Log.warnRepeated("edge push", "edge push \(request.key) failed: \(error)", cid: cid)
        let cb = onFailure
        stop()
        cb?(error)
    }

    /// The client stopped publishing (or failed): closes the upstream, back to SRS's init state.
    func stop() {
        guard !stopped else { return }
        stopped = true
        session?.close()
        session = nil
        queue.removeAll()
        onFailure = nil
        onBackpressure = nil
        Log.traceClient("edge push", "edge change from \(PlayEdge.State.publish.rawValue) to state \(PlayEdge.State.initial.rawValue) (init).", cid: cid)
    }
}
