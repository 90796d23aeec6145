import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client making one request after another on its own thread (`attempt` returns nil on
/// success, else why it failed), with `pause` between them, until stopped.
final class RequestLoop: @unchecked Sendable {
    private let lock = NSLock()
    private var _results: [String?] = []
    private var running = true
    private var finished = false

    init(pause: useconds_t = 50_000, _ attempt: @escaping @Sendable () -> String?) {
        Thread { [self] in
            while lock.withLock({ running }) {
                let r = attempt()
                lock.withLock { _results.append(r) }
                usleep(pause)
            }
            lock.withLock { finished = true }
        }.start()
    }

    var attempts: Int { lock.withLock { _results.count } }
    var failures: [String] { lock.withLock { _results.compactMap { $0 } } }

    /// Stops after the attempt under way (each attempt must bound its own time).
    func stop(timeout: TimeInterval = 15) {
        lock.withLock { running = false }
        _ = Deadline.wait(timeout: timeout) { lock.withLock { finished } }
    }
}

extension HTTPClient {
    /// An HTTP-FLV play: nil once `minBytes` of an FLV stream arrived within `timeout`, else why not.
    static func flvPlay(port: Int, path: String, minBytes: Int = 16_384, timeout: TimeInterval = 5) -> String? {
        let fd: Int32
        do { fd = try RawClient.connect(port: port) } catch { return "\(error)" }
        defer { close(fd) }
        RawClient.send(fd, Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\n\r\n".utf8))
        var got: [UInt8] = []
        let deadline = Deadline(seconds: timeout)
        var buf = [UInt8](repeating: 0, count: 65536)
        while got.count < minBytes + 512 && !deadline.hasPassed {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return "closed after \(got.count) bytes: \(String(decoding: got.prefix(200), as: UTF8.self))" }
            got += buf[0..<n]
        }
        guard let sep = find(got, [13, 10, 13, 10]) else { return "no response head within \(timeout)s (\(got.count) bytes)" }
        let head = String(decoding: got[0..<sep], as: UTF8.self)
        guard head.hasPrefix("HTTP/1.1 200") else { return "status: \(head.prefix(40))" }
        guard find(Array(got[sep...].prefix(64)), Array("FLV".utf8)) != nil else { return "not FLV" }
        guard got.count - sep >= minBytes else { return "only \(got.count - sep) bytes within \(timeout)s" }
        return nil
    }
}
