import Foundation
import XCTest
@testable import System
#if canImport(Glibc)
import Glibc
#endif

/// A client for connection tests without TCP: the peer end of a socketpair whose other end is a
/// `StreamSocket` on `loop` (with a small send buffer, so unread answers stay queued in it). It
/// writes and reads while the loop runs.
final class LoopPeer {
    let loop: EventLoop
    let fd: Int32
    let serverSocket: StreamSocket

    init(loop: EventLoop) throws {
        self.loop = loop
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds) == 0 else {
            throw SystemError("socketpair")
        }
        var small: Int32 = 16384
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        fd = fds[1]
        serverSocket = try StreamSocket(fd: FileDescriptor(adopting: fds[0]), peerIP: "127.0.0.1", peerPort: 1, loop: loop)
    }

    deinit { close(fd) }

    /// Writes `bytes` over and over while the loop runs, as fast as the socket takes them, never
    /// reading; stops after `limit` bytes, `ms`, or once the socket took nothing for 300 ms (the
    /// server stopped reading). Returns how many bytes went in.
    func flood(_ bytes: [UInt8], ms: Int64, upTo limit: Int) -> Int {
        var sent = 0
        var lastProgress = Clock.monotonicMs()
        let feeder = loop.repeating(everyMs: 1) { [fd] in
            for _ in 0..<64 where sent < limit {
                let offset = sent % bytes.count
                let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, min($0.count - offset, limit - sent), Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                sent += n
                lastProgress = Clock.monotonicMs()
            }
        }
        _ = loop.run(timeoutMs: ms) { sent >= limit || Clock.monotonicMs() - lastProgress > 300 }
        feeder.cancel()
        return sent
    }

    /// Reads what the server sent until `done` holds, the server closes or `ms` pass.
    func drain(ms: Int64, until done: @escaping ([UInt8]) -> Bool = { _ in false }) -> (bytes: [UInt8], closed: Bool) {
        var got: [UInt8] = []
        var closed = false
        var buf = [UInt8](repeating: 0, count: 65536)
        let reader = loop.repeating(everyMs: 1) { [fd] in
            while !closed {
                let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n == 0 { closed = true }
                if n <= 0 { return }
                got += buf[0..<n]
            }
        }
        _ = loop.run(timeoutMs: ms) { closed || done(got) }
        reader.cancel()
        return (got, closed)
    }

    /// How many times `needle` occurs in `hay`, without overlaps.
    static func count(_ needle: [UInt8], in hay: [UInt8]) -> Int {
        guard hay.count >= needle.count else { return 0 }
        var n = 0
        var i = 0
        while i <= hay.count - needle.count {
            if hay[i] == needle[0] && hay[i..<(i + needle.count)].elementsEqual(needle) {
                n += 1
                i += needle.count
            } else {
                i += 1
            }
        }
        return n
    }
}
