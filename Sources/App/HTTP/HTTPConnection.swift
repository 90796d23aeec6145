import Core
import Kernel
import Protocol
import System

/// One HTTP/1.1 client: keep-alive, pipelined requests handled in order, and at most one
/// streaming response (HTTP-FLV) that owns the connection until it ends.
final class HTTPConnection: ServerConnection {
    let cid: String
    let socket: StreamSocket
    let loop: EventLoop
    private let config: ConfigStore
    private let connections: ConnectionRegistry
    private let router: HTTPService
    private let hooks: HookService
    /// Which services this listener offers (a port may serve both, as SRS when the ports are equal).
    let servesAPI: Bool
    let servesFiles: Bool
    let createdMs: Int64
    private var parser = HTTPRequestParser()
    /// Parsed but not yet handled (pipelined requests wait for the one before them).
    private var events: [HTTPRequestParser.Event] = []
    /// True from a request's dispatch until its response is queued.
    private var waiting = false
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// A refused request was answered; the connection closes once that answer is out.
    private var refused = false
    /// Which deadline runs: request head, body, or keep-alive idle.
    private var clock: HTTPRequestClock
    /// Set while an HTTP live response streams (or waits for its publisher): the player registered with its source.
    var flv: HTTPLivePlayer?
    var lastRequest: HTTPRequestHead?

    /// An idle keep-alive connection (no request in progress) is closed after this.
    static let idleTimeoutMs: Int64 = 30_000
    /// Pipelined requests wait while this much of the answers before them is unsent, and the
    /// socket is not read meanwhile. Without it a client that sends requests and never reads
    /// made us queue answers without bound: 2 MB of pipelined GETs of a 100 KB file grew a
    /// worker to 1.7 GB.
    static let maxUnsentBytes = 256 * 1024

    /// What an HTTP connection uses of its worker.
    struct Services {
        let loop: EventLoop
        let config: ConfigStore
        /// Where it deregisters when closed.
        let connections: ConnectionRegistry
        /// Answers its requests.
        let router: HTTPService
        /// http_hooks about this client (its HTTP-FLV play ends with it).
        let hooks: HookService
    }

    init(socket: StreamSocket, services: Services, servesAPI: Bool, servesFiles: Bool) {
        self.socket = socket
        loop = services.loop
        config = services.config
        connections = services.connections
        router = services.router
        hooks = services.hooks
        self.servesAPI = servesAPI
        self.servesFiles = servesFiles
        self.cid = Log.newContextID()
        self.createdMs = loop.now
        self.clock = HTTPRequestClock(now: loop.now)
        socket.onData = { [unowned self] bytes in self.received(bytes) }
        socket.onClose = { [unowned self] _ in self.closed() }
    }

    func close() { socket.close() }

    /// A player still waiting for its publisher has nothing to finish either.
    var isIdleForQuit: Bool { flv?.isWaiting == true || (flv == nil && !waiting && socket.pendingBytes == 0) }

    var clientInfo: ClientInfo {
        var info = ClientInfo(id: cid, ip: socket.peerIP)
        if let f = flv {
            info.vhost = f.source.vhost
            info.app = f.source.app
            info.stream = f.source.stream
            info.url = f.source.key.url
            info.type = "flv-play"
            info.streamID = f.source.id
            info.tcUrl = "http://\(lastRequest?.header("Host") ?? socket.peerIP)/\(f.source.app)"
        } else {
            info.type = "http-api"
        }
        info.aliveMs = loop.now - createdMs
        info.sendBytes = socket.bytesWritten
        info.recvBytes = socket.bytesRead
        return info
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        Log.cid = cid
        // A streaming response owns the connection; what the client sends now is ignored.
        if flv != nil { return }
        defer { observe() }
        do {
            events += try parser.feed(bytes)
        } catch {
            // `parser.error` keeps it: answered after the requests before it (`processEvents`),
            // so answers stay in the order of the requests.
        }
        processEvents()
    }

    private func badRequest(_ e: HTTPParseError) {
        // Once only: nested `processEvents` calls (each answer goes on with the next request)
        // all reach the check for a refused request.
        guard !refused else { return }
        refused = true
        Log.warnRepeated("http client bad request", "http client \(socket.peerIP): bad request: \(e)", cid: cid)
        respond(HTTPResponse.text(e.status, "\(HTTPStatus.reason(e.status))\n"), to: nil, close: true)
    }

    /// Handles parsed requests in order; stops while an answer is pending (gathered from the
    /// other workers) or once the connection streams.
    private func processEvents() {
        while !events.isEmpty && !waiting && flv == nil && !socket.closed {
            if socket.pendingBytes > Self.maxUnsentBytes { return waitUntilDrained() }
            switch events.removeFirst() {
            case .head(let h):
                head = h
                body = []
            case .body(let b):
                body += b
            case .end:
                if let h = head { dispatch(h) }
                head = nil
            }
        }
        // A bad request pipelined behind good ones: answered once they are.
        if let e = parser.error, events.isEmpty, !waiting, flv == nil, !socket.closed { badRequest(e) }
    }

    /// Stops reading until every unsent answer is written, then goes on with the queued requests.
    private func waitUntilDrained() {
        socket.setReadPaused(true)
        socket.onDrained = { [unowned self] in
            self.socket.onDrained = nil
            self.socket.setReadPaused(false)
            self.processEvents()
        }
    }

    private func dispatch(_ h: HTTPRequestHead) {
        lastRequest = h
        Log.infoClient("HTTP request", "HTTP \(h.method) \(h.target)", cid: cid)
        waiting = true
        if let r = router.route(h, body: body, connection: self) { finish(r, to: h) }
    }

    /// Answers the request being handled (at once, or later for answers gathered from workers),
    /// then goes on with the requests queued behind it.
    func finish(_ r: HTTPResponse, to h: HTTPRequestHead) {
        guard waiting, !socket.closed else { return }
        waiting = false
        respond(r, to: h, close: !h.keepAlive)
        processEvents()
        observe()
    }

    /// Moves the request clock to where the connection is now.
    private func observe() {
        clock.observe(handling: waiting || flv != nil || socket.pendingBytes > 0, readingBody: head != nil,
                      headStarted: !parser.isIdle, now: loop.now)
    }

    /// Waiting for its client (a request head or body not complete, keep-alive idle), not
    /// answering anything, since this time: at capacity, the longest waiting goes first.
    var waitingSinceMs: Int64? {
        guard !socket.closed, flv == nil, !waiting, socket.pendingBytes == 0 else { return nil }
        return clock.waitingSince
    }

    func evict(_ why: String) {
        guard !socket.closed else { return }
        Log.warnRepeated("http client closed waiting", "http client \(socket.peerIP):\(socket.peerPort) closed after "
                         + "\(loop.now - clock.since)ms waiting for its "
                         + "\(clock.phase == .body ? "request body" : clock.phase == .idle ? "next request" : "request head"), "
                         + "recv=\(socket.bytesRead): \(why)", cid: cid)
        socket.close()
    }

    /// Sends a complete response (HEAD gets the headers only).
    func respond(_ r: HTTPResponse, to req: HTTPRequestHead?, close: Bool) {
        var head = HTTPResponseHead(status: r.status, headers: commonHeaders(for: req))
        head.headers += r.headers
        if !r.headers.contains(where: { $0.name == "Content-Length" }) {
            head.headers.append(HTTPHeader("Content-Length", "\(r.body.count)"))
        }
        if close { head.headers.append(HTTPHeader("Connection", "close")) }
        socket.send(head.encode())
        if req?.method != "HEAD" { socket.send(r.body) }
        if close { socket.closeWhenFlushed() }
    }

    /// Starts a chunked streaming response.
    func startStream(contentType: String) {
        var head = HTTPResponseHead(status: 200, headers: commonHeaders(for: nil))
        head.headers.append(HTTPHeader("Content-Type", contentType))
        head.headers.append(HTTPHeader("Transfer-Encoding", "chunked"))
        head.headers.append(HTTPHeader("Cache-Control", "no-cache"))
        socket.send(head.encode())
    }

    /// `Server`, and CORS headers when the answering service allows other origins: the API's
    /// `crossdomain` for API answers, the HTTP server's for files and streams (nil: not an API
    /// request, or none parsed).
    func commonHeaders(for req: HTTPRequestHead?) -> [HTTPHeader] {
        var h = [HTTPHeader("Server", Version.server)]
        let api = servesAPI && (!servesFiles || req.map(HTTPService.isAPI) == true)
        if api ? config.current.httpAPI.crossdomain : config.current.httpServer.crossdomain {
            h.append(HTTPHeader("Access-Control-Allow-Origin", "*"))
            h.append(HTTPHeader("Access-Control-Allow-Methods", "GET, POST, HEAD, PUT, DELETE, OPTIONS"))
            // `*` does not cover Authorization (the Fetch standard): list it, so a console on
            // another origin can sign in to an API with basic auth.
            h.append(HTTPHeader("Access-Control-Allow-Headers", "*, Authorization"))
            h.append(HTTPHeader("Access-Control-Expose-Headers", "Server,range,Content-Length,Content-Range"))
        }
        return h
    }

    private func closed() {
        if let f = flv {
            f.stop()
            flv = nil
        }
        hooks.streamEnded(cid: cid)
        connections.remove(self)
    }

    func tick(now: Int64) {
        if socket.closed { return }
        if let f = flv {
            f.tick(now: now)
            return
        }
        observe()
        if let why = clock.overdue(now: now, timeouts: config.current.clientTimeouts, keepAliveMs: Self.idleTimeoutMs) {
            // An idle keep-alive connection ending is routine; a request that never came is not.
            if clock.phase == .idle {
                socket.close()
            } else {
                evict(why)
            }
            return
        }
        if socket.pendingBytes > 0 && now - socket.lastWriteProgressMs > Server.sendTimeoutMs { socket.close() }
    }
}
