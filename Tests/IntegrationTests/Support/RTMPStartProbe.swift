import Foundation
import Kernel
import Protocol
#if canImport(Glibc)
import Glibc
#endif

/// An RTMP client that goes as far as the answer to its `publish` or `play`, from a chosen
/// loopback source address (127.0.0.2...), and says what it got and how long it took: for
/// access rules and hooks. The connection stays open until `close()`.
final class RTMPStartProbe {
    enum Outcome: Equatable {
        /// `NetStream.Publish.Start` / `NetStream.Play.Start`.
        case started
        /// An error `onStatus` (or `_error`): its code and description.
        case refused(code: String, description: String)
        /// The server closed the connection without an answer.
        case closed
        case timedOut
    }

    let fd: Int32
    private(set) var outcome = Outcome.timedOut
    /// Seconds from sending `publish`/`play` to the outcome.
    private(set) var elapsed: TimeInterval = 0

    /// Connects from `source`, then handshake, connect, createStream, `publish` (or `play`) of
    /// `name` (`stream?params`), and waits at most `timeout` for the answer.
    init(port: Int, source: String = "127.0.0.1", app: String = "live", name: String, publish: Bool,
         timeout: TimeInterval = 10) throws {
        fd = try Self.connect(port: port, source: source)
        var rng = SystemRandomNumberGenerator()
        let c0c1 = RTMPHandshake.clientHello(time: 0, using: &rng)
        RawClient.send(fd, c0c1)
        let s = RawClient.receive(fd, count: RTMPHandshake.s0s1s2Size, timeout: 5)
        guard s.count == RTMPHandshake.s0s1s2Size else {
            Glibc.close(fd)
            throw TestError("handshake: got \(s.count) bytes")
        }
        var out = try RTMPHandshake.clientResponse(c1: Array(c0c1[1...]), s0s1s2: s, using: &rng)
        func add(_ m: RTMPMessage) { out += RTMPChunkEncoder.encode(m, chunkSize: 128) }
        add(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
            AMF0Property("app", .string(app)), AMF0Property("tcUrl", .string("rtmp://127.0.0.1:\(port)/\(app)"))])).message())
        if publish {
            add(RTMPCommand(name: "releaseStream", transactionID: 2, arguments: [.string(name)]).message())
            add(RTMPCommand(name: "FCPublish", transactionID: 3, arguments: [.string(name)]).message())
        }
        add(RTMPCommand(name: "createStream", transactionID: 4).message())
        add(RTMPCommand(name: publish ? "publish" : "play", transactionID: 5, arguments: publish ? [.string(name), .string("live")] : [.string(name)])
            .message(streamID: 1, chunkStreamID: 8))
        let started = Date()
        RawClient.send(fd, out)
        wait(started: started, timeout: timeout, publish: publish)
    }

    private func wait(started: Date, timeout: TimeInterval, publish: Bool) {
        var decoder = RTMPChunkDecoder()
        let deadline = Deadline(seconds: timeout - Date().timeIntervalSince(started))
        var buf = [UInt8](repeating: 0, count: 65536)
        defer { elapsed = Date().timeIntervalSince(started) }
        while !deadline.hasPassed {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 50) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 {
                outcome = .closed
                return
            }
            guard let messages = try? decoder.feed(Array(buf[0..<n])) else {
                outcome = .closed
                return
            }
            for m in messages where m.type == RTMPMessageType.amf0Command {
                guard let cmd = try? RTMPCommand.decode(type: m.type, payload: m.payload),
                      cmd.name == "onStatus" || cmd.name == "_error" else { continue }
                let info = cmd.arguments.first
                let code = info?["code"]?.stringValue ?? ""
                if info?["level"]?.stringValue == "error" {
                    outcome = .refused(code: code, description: info?["description"]?.stringValue ?? "")
                    return
                }
                if code == (publish ? "NetStream.Publish.Start" : "NetStream.Play.Start") {
                    outcome = .started
                    return
                }
            }
        }
    }

    func close() { Glibc.close(fd) }

    static func connect(port: Int, source: String) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        local.sin_addr.s_addr = inet_addr(source)
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        guard withUnsafePointer(to: &local, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }) == 0 else {
            Glibc.close(fd)
            throw TestError("bind \(source): errno \(errno)")
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        guard withUnsafePointer(to: &addr, { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, len) } }) == 0 else {
            Glibc.close(fd)
            throw TestError("connect 127.0.0.1:\(port) from \(source): errno \(errno)")
        }
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }
}
