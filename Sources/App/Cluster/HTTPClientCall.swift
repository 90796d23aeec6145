import Protocol
import System

/// Why an HTTP call to a peer failed.
struct HTTPCallError: Error, CustomStringConvertible {
    let url: String
    let reason: String
    var description: String { "http \(url): \(reason)" }
}

/// One HTTP/1.1 request to a peer (a coworker's API) on a fresh connection: connect, send, read
/// the whole response (bounded), close. The deadline covers everything. The completion runs
/// once, on the loop, unless `cancel()` was called. A call in progress keeps itself alive.
final class HTTPClientCall {
    typealias Completion = (Result<(HTTPResponseHead, [UInt8]), HTTPCallError>) -> Void

    /// Largest response body we read (a clusters answer is a few hundred bytes).
    static let maxBodyBytes = 64 * 1024

    private let loop: EventLoop
    private let url: String
    private var completion: Completion?
    private var connector: SocketConnector?
    private var socket: StreamSocket?
    private var timer: TimerID?
    private var parser: HTTPResponseParser
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var keepAlive: HTTPClientCall?

    private init(loop: EventLoop, url: String, method: String, completion: @escaping Completion) {
        self.loop = loop
        self.url = url
        self.completion = completion
        var limits = HTTPLimits.response
        limits.maxBodyBytes = Self.maxBodyBytes
        parser = HTTPResponseParser(requestMethod: method, limits: limits)
    }

    /// Sends `method target` with `body` (JSON when not empty) to `ip:port` (a numeric address).
    @discardableResult
    static func start(method: String, ip: String, port: Int, target: String, body: [UInt8] = [], loop: EventLoop, timeoutMs: Int64,
                      _ completion: @escaping Completion) -> HTTPClientCall {
        let host = ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        let call = HTTPClientCall(loop: loop, url: "http://\(host)\(target)", method: method, completion: completion)
        call.keepAlive = call
        call.timer = loop.schedule(afterMs: timeoutMs) { [weak call] in call?.finish(.failure(HTTPCallError(url: call?.url ?? "", reason: "no answer within \(timeoutMs)ms"))) }
        call.connector = SocketConnector.tcp(ip: ip, port: port, loop: loop, timeoutMs: timeoutMs) { [weak call] result in
            guard let call else {
                if case .success(let s) = result { s.close() }
                return
            }
            call.connector = nil
            switch result {
            case .failure(let e):
                call.finish(.failure(HTTPCallError(url: call.url, reason: "\(e)")))
            case .success(let s):
                call.connected(s, method: method, host: host, target: target, body: body)
            }
        }
        return call
    }

    /// Abandons the call: no completion.
    func cancel() {
        completion = nil
        cleanup()
    }

    private func connected(_ s: StreamSocket, method: String, host: String, target: String, body: [UInt8]) {
        socket = s
        s.onData = { [weak self] bytes in self?.received(bytes) }
        s.onClose = { [weak self] _ in self?.peerClosed() }
        let head: HTTPRequestHead
        do {
            var headers = [HTTPHeader("Host", host), HTTPHeader("User-Agent", Version.server),
                           HTTPHeader("Content-Length", "\(body.count)"), HTTPHeader("Connection", "close")]
            if !body.isEmpty { headers.append(HTTPHeader("Content-Type", "application/json")) }
            head = try HTTPRequestHead(method: method, target: target, headers: headers)
        } catch {
            finish(.failure(HTTPCallError(url: url, reason: "bad request target: \(error)")))
            return
        }
        s.send(head.encode() + body)
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        do {
            handle(try parser.feed(bytes))
        } catch {
            finish(.failure(HTTPCallError(url: url, reason: "\(error)")))
        }
    }

    private func peerClosed() {
        socket = nil
        guard completion != nil else { return }
        do {
            handle(try parser.finish())
        } catch {
            finish(.failure(HTTPCallError(url: url, reason: "\(error)")))
            return
        }
        if completion != nil { finish(.failure(HTTPCallError(url: url, reason: "closed before the response ended"))) }
    }

    private func handle(_ events: [HTTPResponseParser.Event]) {
        for ev in events {
            switch ev {
            case .head(let h): head = h
            case .body(let b): body += b
            case .end:
                if let h = head { finish(.success((h, body))) }
                return
            }
        }
    }

    private func finish(_ result: Result<(HTTPResponseHead, [UInt8]), HTTPCallError>) {
        let cb = completion
        completion = nil
        cleanup()
        cb?(result)
    }

    private func cleanup() {
        keepAlive = nil
        if let t = timer { loop.cancel(t) }
        timer = nil
        connector?.cancel()
        connector = nil
        socket?.close()
        socket = nil
    }

    deinit { cleanup() }
}
