import Protocol
import System

/// What the client sends: method, target, headers (complete: the caller sets `Host`,
/// `Content-Length`, `Connection`...) and body, to `host:port` (a name or an IP literal).
struct HTTPClientRequest {
    var method: String
    var host: String
    var port: Int
    var target: String
    var headers: [HTTPHeader]
    var body: [UInt8] = []
    /// Deadline of the whole call, from `HTTPClientPool.start` (time queued included).
    var timeoutMs: Int64
    /// Largest body read. Beyond it the call fails, unless `truncatesBody`: then it ends with
    /// the first `maxBodyBytes` (SRS's on_hls_notify reads `hls_nb_notify` bytes) and the
    /// connection is dropped.
    var maxBodyBytes = 64 * 1024
    var truncatesBody = false

    /// `http://host:port/target`, for messages.
    var url: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "http://\(h):\(port)\(target)"
    }

    /// The request asks the server to keep the connection (no `Connection: close`).
    var keepsAlive: Bool {
        !headers.contains { $0.name.lowercased() == "connection" && $0.value.lowercased().contains("close") }
    }
}

/// Why an HTTP call to a peer failed.
struct HTTPCallError: Error, CustomStringConvertible {
    let url: String
    let reason: String
    var description: String { "http \(url): \(reason)" }
}

/// One HTTP/1.1 connection to a peer (`address:port`), reused for one request after another
/// (keep-alive) while both ends agree: send a request, read its whole response (bounded), then
/// either wait idle for the next request or close. Owned by `HTTPClientPool`, on the loop.
final class HTTPClientConnection {
    /// The outcome of one request. `retryable`: the connection had served requests before and
    /// the peer closed it before any byte of this response (an idle keep-alive connection the
    /// server was closing as we sent): the request may be sent again on a fresh connection.
    enum Outcome {
        case response(HTTPResponseHead, [UInt8])
        case failed(String, retryable: Bool)
    }

    let address: String
    let port: Int
    private let socket: StreamSocket
    private var parser = HTTPResponseParser()
    private var completion: ((Outcome) -> Void)?
    private var request: HTTPClientRequest?
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var receivedAny = false
    /// Requests this connection answered.
    private(set) var served = 0
    /// True between requests when the connection may be used again.
    private(set) var isIdle = false
    /// Since when it is idle (monotonic ms).
    private(set) var idleSinceMs: Int64 = 0
    /// Called when an idle connection closes (the peer ended it): the pool forgets it.
    var onIdleClosed: ((HTTPClientConnection) -> Void)?
    private let loop: EventLoop

    init(socket: StreamSocket, address: String, port: Int, loop: EventLoop) {
        self.socket = socket
        self.address = address
        self.port = port
        self.loop = loop
        socket.onData = { [weak self] bytes in self?.received(bytes) }
        socket.onClose = { [weak self] reason in self?.peerClosed(reason) }
    }

    var isClosed: Bool { socket.closed }

    /// Sends `r` and calls back once with its outcome (never from inside this call).
    func send(_ r: HTTPClientRequest, _ done: @escaping (Outcome) -> Void) {
        isIdle = false
        request = r
        completion = done
        head = nil
        body = []
        receivedAny = false
        var limits = HTTPLimits.response
        limits.maxBodyBytes = r.truncatesBody ? Int.max : r.maxBodyBytes
        parser = HTTPResponseParser(requestMethod: r.method, limits: limits)
        do {
            let h = try HTTPRequestHead(method: r.method, target: r.target, headers: r.headers)
            socket.send(h.encode() + r.body)
        } catch {
            loop.runSoon { [weak self] in self?.finish(.failed("bad request target \(r.target): \(error)", retryable: false), reusable: false) }
        }
    }

    /// Closes now; a request in progress gets no answer.
    func close() {
        completion = nil
        onIdleClosed = nil
        socket.close()
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        guard completion != nil else {
            // Bytes while idle: the peer is out of step; this connection cannot be trusted again.
            socket.close()
            return
        }
        receivedAny = true
        do {
            handle(try parser.feed(bytes))
        } catch {
            finish(.failed("\(error)", retryable: false), reusable: false)
        }
        // The rest of the answer may wait for our ACK of this part (see `acknowledgeNow`).
        if completion != nil { socket.acknowledgeNow() }
    }

    private func peerClosed(_ reason: StreamSocket.CloseReason) {
        if isIdle {
            isIdle = false
            onIdleClosed?(self)
            return
        }
        guard completion != nil else { return }
        do {
            handle(try parser.finish())
        } catch {
            finish(.failed("\(error)", retryable: false), reusable: false)
            return
        }
        guard completion != nil else { return }
        let retryable = served > 0 && !receivedAny
        finish(.failed(receivedAny ? "closed before the response ended" : "closed without a response (\(reason))",
                       retryable: retryable), reusable: false)
    }

    private func handle(_ events: [HTTPResponseParser.Event]) {
        guard let r = request else { return }
        for (i, ev) in events.enumerated() {
            switch ev {
            case .head(let h):
                head = h
            case .body(let b):
                body += b
                if r.truncatesBody && body.count >= r.maxBodyBytes, let h = head {
                    body.removeLast(body.count - r.maxBodyBytes)
                    finish(.response(h, body), reusable: false)
                    return
                }
            case .end:
                guard let h = head else { return }
                // Reusable when both ends keep it and nothing followed the response; not after a
                // bodiless status announcing a body (a 204 with Content-Length: 10 may still send it).
                let announced = (h.status == 204 || h.status == 304) && h.header("Content-Length").map { $0 != "0" } == true
                let reusable = r.keepsAlive && h.keepAlive && i == events.count - 1 && !announced
                finish(.response(h, body), reusable: reusable)
                return
            }
        }
    }

    private func finish(_ outcome: Outcome, reusable: Bool) {
        guard let cb = completion else { return }
        completion = nil
        request = nil
        body = []
        if case .response = outcome { served += 1 }
        if reusable && !socket.closed {
            isIdle = true
            idleSinceMs = loop.now
        } else {
            socket.close()
        }
        cb(outcome)
    }
}
