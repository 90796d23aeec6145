import Kernel
import Protocol
import System

/// Ingests a remote RTMP stream into a local `LiveSource`: the edge's pull from an origin, and the
/// relay's pull of a stream published on a sibling worker (over a unix socket). It knows nothing
/// of config: the owner gives the request and, per attempt, the endpoints to choose from.
///
/// While started, the ingester is the source's publisher (`PublisherKind.ingester`): the source
/// stays published across upstream losses, so players stay attached (an HTTP-FLV response is not
/// ended) and resume when a new upstream session delivers. Attempts go round-robin over the
/// endpoints with `ReconnectPolicy`'s delays; an RTMP 302 redirect is followed at once, once per
/// attempt, keeping vhost/app/stream. Timestamps continue across sessions (a new upstream's
/// clock is shifted to follow the last delivered message), so players see one timeline.
public final class StreamIngester {
    /// Gives the endpoints for the next attempt (async: a name may need resolving). An empty
    /// list counts as a failed attempt.
    public typealias EndpointProvider = (_ done: @escaping ([UpstreamEndpoint]) -> Void) -> Void

    /// Where the ingester is, as `onStateChange` reports it.
    public enum State: Equatable, Sendable {
        /// Not started, or stopped.
        case idle
        /// Looking for an upstream (connecting, or waiting to retry).
        case connecting
        /// An upstream session is playing.
        case ingesting
    }

    /// Tunables; the defaults are the edge's.
    public struct Options: Sendable {
        /// Deadlines of each upstream session.
        public var timeouts = RTMPClientSession.Timeouts()
        /// Round robin and retry delays.
        public var policy = ReconnectPolicy()
        /// Our outgoing RTMP chunk size.
        public var chunkSize = 60000
        /// Shift later sessions' timestamps to continue the timeline.
        public var continuousTimestamps = true
        /// Redirects followed per attempt.
        public var maxRedirects = 1

        public init() {}
    }

    /// Why `start` failed.
    public enum StartError: Error, Equatable, CustomStringConvertible {
        case busy(stream: String, publisher: String)
        public var description: String {
            switch self {
            case .busy(let s, let p): return "stream \(s) is already published by \(p)"
            }
        }
    }

    /// The local source it publishes, and what it asks the upstream for.
    public let source: LiveSource
    public let request: UpstreamRequest
    /// SRS-style context id of this ingester's log lines (and its publisher id on the source).
    public let cid: String
    /// State changes, e.g. to log SRS's edge lines.
    public var onStateChange: ((State) -> Void)?
    /// A session ended with this error (the owner may re-resolve names, count failures...).
    public var onSessionError: ((RTMPClientError) -> Void)?

    /// See `State`.
    public private(set) var state = State.idle
    /// The endpoint of the current (or last) session.
    public private(set) var endpoint: UpstreamEndpoint?
    /// Sessions started, and how many ended in error.
    public private(set) var sessionsStarted = 0
    public private(set) var sessionsFailed = 0
    /// Messages received from upstreams.
    public private(set) var messagesIn: UInt64 = 0

    private let loop: EventLoop
    private let endpoints: EndpointProvider
    private let resolver: DNSResolver?
    private var options: Options
    private var session: RTMPClientSession?
    private var retryTimer: TimerID?
    private var lastEndpointCount = 1
    private var redirectsThisAttempt = 0
    private var attempt = 0
    // Timeline continuity across sessions.
    private var lastTimestamp: UInt32?
    private var offset: UInt32 = 0
    private var sessionHasMedia = false

    /// An ingester into `source`; `endpoints` is asked for the candidates before each attempt.
    /// Nothing happens before `start()`.
    public init(source: LiveSource, request: UpstreamRequest, loop: EventLoop, resolver: DNSResolver? = nil,
                options: Options = Options(), cid: String = Log.newContextID(), endpoints: @escaping EndpointProvider) {
        self.source = source
        self.request = request
        self.loop = loop
        self.resolver = resolver
        self.options = options
        self.cid = cid
        self.endpoints = endpoints
    }

    deinit {
        if let t = retryTimer { loop.cancel(t) }
        session?.close()
    }

    /// Claims the source as its publisher and starts the first attempt.
    public func start() throws(StartError) {
        guard state == .idle else { return }
        guard source.publish(cid: cid, now: loop.now, kind: .ingester) else {
            throw .busy(stream: source.key.description, publisher: source.publisherCID ?? "-")
        }
        setState(.connecting)
        nextAttempt()
    }

    /// Ends the current session, cancels retries, releases the source (its players are told the
    /// stream was unpublished).
    public func stop() {
        guard state != .idle else { return }
        if let t = retryTimer { loop.cancel(t) }
        retryTimer = nil
        session?.close()
        session = nil
        setState(.idle)
        if source.publisherCID == cid { source.unpublish(now: loop.now) }
    }

    private func setState(_ s: State) {
        guard s != state else { return }
        state = s
        onStateChange?(s)
    }

    private func nextAttempt() {
        retryTimer = nil
        guard state != .idle else { return }
        attempt += 1
        let thisAttempt = attempt
        redirectsThisAttempt = 0
        endpoints { [weak self] list in
            guard let self, self.state != .idle, self.attempt == thisAttempt, self.session == nil else { return }
            self.lastEndpointCount = max(1, list.count)
            guard !list.isEmpty else {
                Log.warnRepeated("edge pull", "ingest \(self.request.key): no upstream endpoint", cid: self.cid)
                self.scheduleRetry()
                return
            }
            self.connect(to: list[self.options.policy.nextIndex(count: list.count)])
        }
    }

    private func connect(to e: UpstreamEndpoint) {
        endpoint = e
        sessionsStarted += 1
        sessionHasMedia = false
        let s = RTMPClientSession(endpoint: e, request: request, mode: .play, loop: loop, resolver: resolver,
                                  chunkSize: options.chunkSize, timeouts: options.timeouts, cid: cid)
        session = s
        s.onReady = { [weak self, weak s] in
            guard let self, let s, self.session === s else { return }
            Log.traceClient("edge pull", "edge-pull publish url \(s.tcUrl)/\(self.request.streamName), stream=\(self.request.stream) as \(self.source.key)", cid: self.cid)
            self.setState(.ingesting)
        }
        s.onMessage = { [weak self, weak s] m in
            guard let self, let s, self.session === s else { return }
            self.ingest(m)
        }
        s.onClose = { [weak self, weak s] error in
            guard let self, let s, self.session === s else { return }
            self.sessionEnded(error)
        }
        s.start()
    }

    private func sessionEnded(_ error: RTMPClientError) {
        session = nil
        sessionsFailed += 1
        onSessionError?(error)
        guard state != .idle else { return }
        if case .redirected(let from, let url) = error, redirectsThisAttempt < options.maxRedirects,
           let (host, port) = RTMPRedirect.hostPort(of: url) {
            redirectsThisAttempt += 1
            Log.warnRepeated("edge pull", "RTMP redirect \(request.key) from \(from) to \(url)", cid: cid)
            connect(to: .tcp(host: host, port: port))
            return
        }
        if error.isRefused {
            Log.warnRepeated("edge pull", "EdgeIngester: Ignore error, \(error)", cid: cid)
        } else {
            Log.warnRepeated("edge pull", "EdgeIngester: Ignore error, \(error), upstream lost after \(sessionHasMedia ? "streaming" : "no media")", cid: cid)
        }
        setState(.connecting)
        scheduleRetry()
    }

    private func scheduleRetry() {
        let delay = options.policy.failed(now: loop.now, endpointCount: lastEndpointCount)
        if delay == 0 {
            loop.runSoon { [weak self] in
                guard let self, self.retryTimer == nil, self.session == nil else { return }
                self.nextAttempt()
            }
        } else {
            Log.traceClient("edge pull", "ingest \(request.key): retry in \(delay)ms (failure streak \(options.policy.failureStreak))", cid: cid)
            retryTimer = loop.schedule(afterMs: delay) { [weak self] in self?.nextAttempt() }
        }
    }

    // MARK: - Media

    private func ingest(_ m: RTMPMessage) {
        messagesIn += 1
        var payload = m.payload
        var type = m.type
        if m.type == RTMPMessageType.amf0Data || m.type == RTMPMessageType.amf3Data {
            guard let meta = MediaMessage.playerMetadata(m) else { return }
            payload = meta
            type = RTMPMessageType.amf0Data
        }
        if !sessionHasMedia && m.isMedia {
            sessionHasMedia = true
            options.policy.streaming(now: loop.now)
            if sessionsStarted > 1 {
                // A new upstream: its GOP starts again, the cached one belongs to the old one.
                source.discardCachedGOP()
                if options.continuousTimestamps, let last = lastTimestamp {
                    offset = last &+ 20 &- m.timestamp
                }
            }
        }
        let ts = m.timestamp &+ offset
        if m.isMedia { lastTimestamp = ts }
        source.onMessage(MediaMessage(type: type, timestamp: ts, payload: payload))
    }
}
