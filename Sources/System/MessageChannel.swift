import CSystem
import Glibc

/// A message pipe between the master and a worker over a unix stream socket: each message is a
/// 4-byte big-endian length and its bytes; file descriptors (listeners) ride along with SCM_RIGHTS:
/// a queued message keeps the ones it carries open until it is written.
/// Writes are queued and never block the loop. EOF means the other process is gone (a worker's
/// lifeline to its master).
public final class MessageChannel {
    /// Messages larger than this are refused (a corrupt length must not allocate gigabytes).
    public static let maxMessageBytes = 64 * 1024 * 1024

    private let descriptor: FileDescriptor
    private var fd: Int32 { descriptor.rawValue }
    private let loop: EventLoop
    /// A complete message. Descriptors it announces are taken with `takeFDs` (the receiver owns them).
    public var onMessage: ((_ bytes: [UInt8]) -> Void)?
    /// Called once when the peer closed or the channel failed.
    public var onClose: (() -> Void)?

    private var input: [UInt8] = []
    private var receivedFDs: [FileDescriptor] = []
    private var output: [(bytes: [UInt8], fds: [FileDescriptor])] = []
    private var outputOffset = 0
    private var wantWrite = false
    public private(set) var closed = false

    /// Takes ownership of a connected unix socket, makes it non-blocking and starts reading.
    public init(fd: FileDescriptor, loop: EventLoop) throws {
        self.descriptor = fd
        self.loop = loop
        _ = fcntl(fd.rawValue, F_SETFL, fcntl(fd.rawValue, F_GETFL) | O_NONBLOCK)
        try loop.register(fd: fd.rawValue, events: EventLoop.readable) { [weak self] ev in self?.handle(ev) }
    }

    deinit { if !closed { loop.unregister(fd: fd) } }

    /// Whether the channel survives an exec (the master's re-exec keeps its workers' channels).
    public func setInherited(_ inherited: Bool) { descriptor.setInherited(inherited) }

    /// The fd number, for a process image that inherits it (`setInherited`).
    public var inheritedFD: Int32 { descriptor.rawValue }

    /// Queues a message; `fds` are sent with it (the peer gets its own copies; ours stay open at
    /// least until the message is written).
    public func send(_ bytes: [UInt8], fds: [FileDescriptor] = []) {
        guard !closed else { return }
        let n = UInt32(bytes.count)
        let framed = [UInt8(n >> 24), UInt8(truncatingIfNeeded: n >> 16), UInt8(truncatingIfNeeded: n >> 8),
                      UInt8(truncatingIfNeeded: n)] + bytes
        output.append((framed, fds))
        flush()
    }

    /// Pairs descriptors that arrived before or with a message to it: the sender attaches them to
    /// the first byte of the message, so they are always here by the time its bytes are. The
    /// caller owns them.
    public func takeFDs(_ count: Int) -> [FileDescriptor] {
        let n = min(count, receivedFDs.count)
        let out = Array(receivedFDs.prefix(n))
        receivedFDs.removeFirst(n)
        return out
    }

    public func close() {
        guard !closed else { return }
        closed = true
        loop.unregister(fd: fd)
        descriptor.close()
        for f in receivedFDs { f.close() }
        receivedFDs = []
        output = []
        let cb = onClose
        onClose = nil
        onMessage = nil
        loop.runSoon { cb?() }
    }

    private func handle(_ events: UInt32) {
        if events & EventLoop.writable != 0 { flush() }
        if closed { return }
        if events & (EventLoop.readable | EventLoop.hangup) != 0 { readAvailable() }
    }

    private func readAvailable() {
        var buf = [UInt8](repeating: 0, count: 65536)
        var fds = [Int32](repeating: -1, count: 64)
        while !closed {
            var nfds: Int32 = 0
            let n = buf.withUnsafeMutableBytes { b in
                fds.withUnsafeMutableBufferPointer { f in
                    csys_recv_with_fds(fd, b.baseAddress, b.count, f.baseAddress, Int32(f.count), &nfds)
                }
            }
            if nfds > 0 { receivedFDs += fds[0..<Int(nfds)].map(FileDescriptor.init(adopting:)) }
            if n > 0 {
                input += buf[0..<n]
                deliver()
                continue
            }
            if n == 0 { close(); return }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return }
            close()
            return
        }
    }

    private func deliver() {
        var offset = 0
        while !closed && input.count - offset >= 4 {
            let len = Int(input[offset]) << 24 | Int(input[offset + 1]) << 16 | Int(input[offset + 2]) << 8 | Int(input[offset + 3])
            guard len <= Self.maxMessageBytes else { close(); return }
            guard input.count - offset - 4 >= len else { break }
            let body = Array(input[(offset + 4)..<(offset + 4 + len)])
            offset += 4 + len
            onMessage?(body)
        }
        if offset > 0 && !closed { input.removeFirst(offset) }
    }

    private func flush() {
        while !closed, let first = output.first {
            let fds = outputOffset == 0 ? first.fds.map(\.rawValue) : []
            let n = first.bytes.withUnsafeBytes { b in
                fds.withUnsafeBufferPointer { f in
                    csys_send_with_fds(fd, b.baseAddress! + outputOffset, b.count - outputOffset, f.baseAddress, Int32(f.count))
                }
            }
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                close()
                return
            }
            outputOffset += n
            if outputOffset == first.bytes.count {
                output.removeFirst()
                outputOffset = 0
            }
        }
        if closed { return }
        let need = !output.isEmpty
        if need != wantWrite {
            wantWrite = need
            loop.modify(fd: fd, events: EventLoop.readable | (need ? EventLoop.writable : 0))
        }
    }
}

extension MessageChannel {
    /// A connected pair of channel sockets (master end, worker end), CLOEXEC and non-blocking.
    public static func socketPair() throws -> (FileDescriptor, FileDescriptor) {
        var fds: [Int32] = [-1, -1]
        if csys_socketpair(&fds) != 0 { throw SystemError("socketpair") }
        return (FileDescriptor(adopting: fds[0]), FileDescriptor(adopting: fds[1]))
    }
}
