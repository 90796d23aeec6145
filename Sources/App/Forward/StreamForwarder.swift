import Kernel
import Protocol
import System

/// Republishes one published stream to one destination (SRS's `SrsForwarder`), for as long as
/// the stream is published here: an RTMP client session in publish mode (the edge's
/// `RTMPClientSession`), fed as a consumer of the local source. Each session starts with the
/// source's metadata, sequence headers and cached GOP (a decodable start, as a player gets),
/// then follows live. A lost session is retried with `ReconnectPolicy` (at once, then 250 ms
/// growing to 3 s; SRS waits 3 s every time), while the local publish goes on untouched.
///
/// A destination slower than the stream is not queued for without bound: past
/// `maxPendingBytes` unsent, media is dropped until the backlog halves and a keyframe comes.
final class StreamForwarder: LiveConsumer {
    /// Unsent bytes past which media is dropped (to the next keyframe).
    static let maxPendingBytes = 8 * 1024 * 1024

    enum State: String { case connecting, forwarding, waiting, stopped }

    let source: LiveSource
    let destination: UpstreamEndpoint
    let request: UpstreamRequest
    let cid: String
    private(set) var state = State.connecting
    /// Sessions that reached publishing, messages sent, messages dropped for a slow destination.
    private(set) var sessions = 0
    private(set) var messagesOut: UInt64 = 0
    private(set) var dropped: UInt64 = 0
    private(set) var lastError: String?

    private let loop: EventLoop
    private let resolver: DNSResolver?
    private let chunkSize: Int
    private var policy = ReconnectPolicy()
    private var session: RTMPClientSession?
    private var retryTimer: TimerID?
    private var attached = false
    private var dropping = false

    init(source: LiveSource, destination: UpstreamEndpoint, request: UpstreamRequest, loop: EventLoop,
         resolver: DNSResolver?, chunkSize: Int, cid: String) {
        self.source = source
        self.destination = destination
        self.request = request
        self.loop = loop
        self.resolver = resolver
        self.chunkSize = chunkSize
        self.cid = cid
    }

    deinit {
        if let t = retryTimer { loop.cancel(t) }
        session?.close()
    }

    /// `destination/app/stream` for logs and the API.
    var url: String { "rtmp://\(destination)/\(request.app)/\(request.streamName)" }

    func start() {
        Log.traceClient("forward", "Forwarder: Start forward \(source.key) to \(destination) as \(request.key)", cid: cid)
        connect()
    }

    /// The publish ended (or forward was turned off): says goodbye to the destination.
    func stop() {
        guard state != .stopped else { return }
        state = .stopped
        if let t = retryTimer { loop.cancel(t) }
        retryTimer = nil
        detach()
        session?.close()
        session = nil
    }

    private func connect() {
        retryTimer = nil
        guard state != .stopped else { return }
        state = .connecting
        let s = RTMPClientSession(endpoint: destination, request: request, mode: .publish, loop: loop, resolver: resolver,
                                  chunkSize: chunkSize, cid: cid)
        session = s
        s.onReady = { [weak self, weak s] in
            guard let self, let s, self.session === s else { return }
            self.ready(s)
        }
        s.onClose = { [weak self, weak s] error in
            guard let self, let s, self.session === s else { return }
            self.lost(error)
        }
        s.start()
    }

    private func ready(_ s: RTMPClientSession) {
        state = .forwarding
        sessions += 1
        dropping = false
        policy.streaming(now: loop.now)
        Log.traceClient("forward", "forward publish url \(s.tcUrl)/\(request.streamName), stream=\(source.stream) to \(destination)", cid: cid)
        // The cached start goes out first, then the live messages.
        attached = true
        source.addConsumer(self, now: loop.now)
    }

    private func lost(_ error: RTMPClientError) {
        session = nil
        detach()
        lastError = "\(error)"
        let delay = policy.failed(now: loop.now, endpointCount: 1)
        state = .waiting
        Log.warnRepeated("forward", "Forwarder: \(source.key) to \(destination): \(error), retry in \(delay)ms", cid: cid)
        retryTimer = loop.schedule(afterMs: delay) { [weak self] in self?.connect() }
    }

    private func detach() {
        guard attached else { return }
        attached = false
        source.removeConsumer(self, now: loop.now)
    }

    // MARK: - LiveConsumer

    func deliver(_ m: MediaMessage) {
        guard state == .forwarding, let s = session else { return }
        if !m.isData && !m.isSequenceHeader {
            let pending = s.pendingBytes
            if dropping {
                let canResume = pending < Self.maxPendingBytes / 2 && (m.isKeyframe || source.videoSequenceHeader == nil)
                guard canResume else {
                    dropped += 1
                    return
                }
                dropping = false
            } else if pending > Self.maxPendingBytes {
                dropping = true
                dropped += 1
                Log.warnRepeated("forward slow", "Forwarder: \(destination) too slow for \(source.key), drop to the next keyframe", cid: cid)
                return
            }
        }
        s.send(RTMPMessage(type: m.type, timestamp: m.timestamp, payload: m.payload))
        messagesOut += 1
    }

    /// The API's view.
    var json: JSONValue {
        ["destination": .string("\(destination)"), "url": .string(url), "state": .string(state.rawValue),
         "sessions": .int(Int64(sessions)), "msgs": .int(Int64(messagesOut)), "dropped": .int(Int64(dropped)),
         "last_error": lastError.map { .string($0) } ?? .null]
    }
}
