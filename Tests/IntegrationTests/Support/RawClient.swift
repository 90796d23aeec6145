import Foundation
import Kernel
import Protocol
#if canImport(Glibc)
import Glibc
#endif

/// A raw TCP client for hostile and half-open behaviours that real clients do not produce.
enum RawClient {
    static func connect(port: Int, receiveBuffer: Int32? = nil) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var rb = receiveBuffer {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, socklen_t(MemoryLayout<Int32>.size))
        }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if r != 0 {
            close(fd)
            throw TestError("connect 127.0.0.1:\(port) failed: errno \(errno)")
        }
        // No Nagle: a client's small writes (C2, then commands) must not wait for delayed ACKs.
        var on: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
        return fd
    }

    static func send(_ fd: Int32, _ bytes: [UInt8]) {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, $0.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            off += n
        }
    }

    /// Reads up to `count` bytes within `timeout`.
    static func receive(_ fd: Int32, count: Int, timeout: TimeInterval) -> [UInt8] {
        var out: [UInt8] = []
        let deadline = Deadline(seconds: timeout)
        var buf = [UInt8](repeating: 0, count: 65536)
        while out.count < count && !deadline.hasPassed {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32(max(0, min(100, deadline.remaining * 1000)))
            if poll(&pfd, 1, left) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, count - out.count), 0) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }

    /// Complex handshake (as ffmpeg and OBS do), then connect, createStream and play of
    /// `app/stream` on a connected socket; what comes next is the caller's to read.
    static func startPlay(_ fd: Int32, port: Int, app: String, stream: String) throws {
        var rng = SystemRandomNumberGenerator()
        let c0c1 = RTMPHandshake.clientHello(time: 0, using: &rng)
        send(fd, c0c1)
        let s = receive(fd, count: RTMPHandshake.s0s1s2Size, timeout: 5)
        guard s.count == RTMPHandshake.s0s1s2Size else { throw TestError("handshake: got \(s.count) bytes") }
        var out = try RTMPHandshake.clientResponse(c1: Array(c0c1[1...]), s0s1s2: s, using: &rng)
        out += RTMPChunkEncoder.encode(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
            AMF0Property("app", .string(app)), AMF0Property("tcUrl", .string("rtmp://127.0.0.1:\(port)/\(app)"))])).message(),
                                       chunkSize: 128)
        out += RTMPChunkEncoder.encode(RTMPCommand(name: "createStream", transactionID: 2).message(), chunkSize: 128)
        out += RTMPChunkEncoder.encode(RTMPCommand(name: "play", transactionID: 3, arguments: [.string(stream)])
            .message(streamID: 1, chunkStreamID: 8), chunkSize: 128)
        send(fd, out)
    }

    /// Handshake, connect, createStream, play; then the caller never reads again.
    static func playAndStall(port: Int, app: String, stream: String) throws -> Int32 {
        let fd = try connect(port: port, receiveBuffer: 4096)
        do {
            try startPlay(fd, port: port, app: app, stream: stream)
        } catch {
            close(fd)
            throw error
        }
        return fd
    }
}
