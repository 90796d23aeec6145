import CSystem
import Glibc

/// A non-blocking TCP (or unix) stream on an `EventLoop`: reads are delivered to `onData`; writes
/// are queued as `SharedBytes` and flushed with `writev`, many buffers per syscall, at the end of
/// the loop iteration (or when the socket becomes writable again).
///
/// The socket's fd is owned here and closed exactly once, by `close`.
public final class StreamSocket: LoopTask {
    public enum CloseReason: Sendable, CustomStringConvertible {
        case eof, local, error(SystemError)
        public var description: String {
            switch self {
            case .eof: return "peer closed"
            case .local: return "closed"
            case .error(let e): return e.description
            }
        }
    }

    private let descriptor: FileDescriptor
    /// The fd number (for log lines); -1 once closed.
    public var fd: Int32 { descriptor.rawValue }
    public let peerIP: String
    public let peerPort: Int
    private let loop: EventLoop

    /// Bytes read; the buffer is only valid during the call.
    public var onData: ((UnsafeRawBufferPointer) -> Void)?
    /// Called once, on the loop, after the fd is closed.
    public var onClose: ((CloseReason) -> Void)?
    /// Called when the write queue becomes empty after a flush (for flow control of producers).
    public var onDrained: (() -> Void)?

    private var queue = SendQueue()
    /// Bytes of `queue[0]` already written.
    private var headOffset = 0
    public private(set) var pendingBytes = 0
    /// Bytes ever queued, and queued bytes dropped unsent (`dropUnsent`): with `bytesWritten`,
    /// a player knows which of its messages are still waiting.
    public private(set) var bytesQueued: UInt64 = 0
    public private(set) var bytesDropped: UInt64 = 0
    public private(set) var closed = false
    public private(set) var bytesRead: UInt64 = 0
    public private(set) var bytesWritten: UInt64 = 0
    /// Monotonic ms of the last successful write progress (or of the moment the queue was empty).
    public private(set) var lastWriteProgressMs: Int64
    private var flushScheduled = false
    private var wantWritable = false
    private var readPaused = false
    private var closeAfterFlush = false

    /// Takes a connected, non-blocking socket and starts reading.
    public init(fd: FileDescriptor, peerIP: String, peerPort: Int, loop: EventLoop) throws {
        self.descriptor = fd
        self.peerIP = peerIP
        self.peerPort = peerPort
        self.loop = loop
        lastWriteProgressMs = loop.now
        // Unowned, not weak: a weak reference gives the socket a side table, and every retain
        // and release of it on the write path would take the slow path. The registration never
        // outlives the socket (`close` and `deinit` unregister).
        try loop.register(fd: fd.rawValue, events: EventLoop.readable) { [unowned self] ev in handle(ev) }
    }

    deinit {
        if !closed { loop.unregister(fd: descriptor.rawValue) }
    }

    /// The fd of a pending outbound connect; `onConnected` runs once it completes (or fails).
    public static func connect(ip: String, port: Int, loop: EventLoop,
                               onConnected: @escaping (Result<StreamSocket, SystemError>) -> Void) {
        let raw = csys_tcp_connect(ip, Int32(port))
        if raw < 0 {
            onConnected(.failure(SystemError("connect", context: "\(ip):\(port)")))
            return
        }
        let fd = FileDescriptor(adopting: raw)
        do {
            try loop.register(fd: raw, events: EventLoop.writable) { [unowned loop] _ in
                loop.unregister(fd: raw)
                var err: Int32 = 0
                if csys_socket_error(raw, &err) != 0 || err != 0 {
                    let e = SystemError("connect", errno: err == 0 ? errno : err, context: "\(ip):\(port)")
                    fd.close()
                    onConnected(.failure(e))
                    return
                }
                _ = csys_set_nodelay(raw)
                do {
                    onConnected(.success(try StreamSocket(fd: fd, peerIP: ip, peerPort: port, loop: loop)))
                } catch let e as SystemError {
                    fd.close()
                    onConnected(.failure(e))
                } catch {
                    fd.close()
                }
            }
        } catch let e as SystemError {
            fd.close()
            onConnected(.failure(e))
        } catch {
            fd.close()
        }
    }

    /// Queues bytes to send.
    public func send(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        send(SharedBytes(bytes))
    }

    /// Queues a shared buffer to send (not copied), flushed at the end of this loop iteration.
    public func send(_ bytes: SharedBytes) {
        enqueue(bytes)
        flushSoon()
    }

    /// Queues a shared buffer without scheduling a write: the caller merges several messages
    /// into one `writev` and calls `flushSoon()` (players, `mw_msgs`/`mw_latency`).
    public func enqueue(_ bytes: SharedBytes) {
        guard !closed, bytes.count > 0 else { return }
        if pendingBytes == 0 { lastWriteProgressMs = loop.now }
        queue.append(bytes)
        pendingBytes += bytes.count
        bytesQueued += UInt64(bytes.count)
    }

    /// Drops queued buffers that have not started to go out (keeps a partly written one, so the
    /// byte stream stays well-framed). Returns the number of bytes dropped.
    @discardableResult
    public func dropUnsent() -> Int {
        let keep = headOffset > 0 ? 1 : 0
        var dropped = 0
        if keep < queue.count {
            for i in keep..<queue.count { dropped += queue[i].count }
            queue.removeLast(queue.count - keep)
        }
        pendingBytes -= dropped
        bytesDropped += UInt64(dropped)
        return dropped
    }

    /// Stops or resumes reading (flow control).
    public func setReadPaused(_ paused: Bool) {
        guard !closed, paused != readPaused else { return }
        readPaused = paused
        updateInterest()
    }

    /// Closes after everything queued is written (HTTP `Connection: close`).
    public func closeWhenFlushed() {
        if pendingBytes == 0 { close() } else { closeAfterFlush = true; setReadPaused(true) }
    }

    /// Closes now; queued bytes are discarded. Idempotent.
    public func close(_ reason: CloseReason = .local) {
        guard !closed else { return }
        closed = true
        loop.unregister(fd: fd)
        descriptor.close()
        queue.removeAll()
        pendingBytes = 0
        let cb = onClose
        onClose = nil
        onData = nil
        onDrained = nil
        // Notify on the loop, not inside the caller's stack (the caller may be mid-parse).
        loop.runSoon { cb?(reason) }
    }

    /// Writes what is queued at the end of this loop iteration (once, however often called).
    public func flushSoon() {
        guard !flushScheduled, !wantWritable, !closed, pendingBytes > 0 else { return }
        flushScheduled = true
        loop.runSoon(self)
    }

    /// Writes what is queued now, unless the socket waits to become writable (then that event
    /// writes it). For a caller that knows nothing more will be queued this iteration: no task
    /// is scheduled.
    public func flushNow() {
        guard !wantWritable, !closed, pendingBytes > 0 else { return }
        flush()
    }

    public func runLoopTask() {
        flushScheduled = false
        flush()
    }

    private func handle(_ events: UInt32) {
        if events & EventLoop.writable != 0 { flush() }
        if closed { return }
        if events & UInt32(EPOLLIN.rawValue) != 0 || events & EventLoop.hangup != 0
            || events & UInt32(EPOLLRDHUP.rawValue) != 0 {
            if !readPaused { readAvailable() }
        }
    }

    private func readAvailable() {
        // Bounded reads per wakeup keep one busy peer from starving the others (level-triggered).
        for _ in 0..<4 {
            if closed || readPaused { return }
            let n = ReadBuffer.shared.withBuffer { buf -> Int in
                // recv(2), not read(2): straight to the socket layer, past the VFS.
                let n = Glibc.recv(fd, buf.baseAddress, buf.count, 0)
                if n > 0 {
                    bytesRead += UInt64(n)
                    onData?(UnsafeRawBufferPointer(start: buf.baseAddress, count: n))
                }
                return n
            }
            if n > 0 {
                if n < ReadBuffer.size { return }
                continue
            }
            if n == 0 { close(.eof); return }
            if errno == EINTR { continue }
            if errno == EAGAIN || errno == EWOULDBLOCK { return }
            close(.error(SystemError("recv", context: "fd=\(fd)")))
            return
        }
    }

    /// Writes as much of the queue as the socket takes now.
    public func flush() {
        let iov = IOVecs.shared.base
        while !closed && !queue.isEmpty {
            var count = 0
            var i = 0
            while i < queue.count && count < IOVecs.capacity {
                let b = queue[i]
                let off = count == 0 ? headOffset : 0
                iov[count] = iovec(iov_base: b.base + off, iov_len: b.count - off)
                count += 1
                i += 1
            }
            // One buffer (a player's batch, usually): send(2) goes straight to the socket layer,
            // writev(2) through the VFS first.
            let n = count == 1 ? Glibc.send(fd, iov[0].iov_base, iov[0].iov_len, Int32(MSG_NOSIGNAL))
                               : writev(fd, iov, Int32(count))
            if n < 0 {
                if errno == EINTR { continue }
                if errno == EAGAIN || errno == EWOULDBLOCK { break }
                close(.error(SystemError(count == 1 ? "send" : "writev", context: "fd=\(fd)")))
                return
            }
            bytesWritten += UInt64(n)
            pendingBytes -= n
            lastWriteProgressMs = loop.now
            var left = n
            while left > 0 && !queue.isEmpty {
                let avail = queue[0].count - headOffset
                if left >= avail {
                    left -= avail
                    queue.removeFirst()
                    headOffset = 0
                } else {
                    headOffset += left
                    left = 0
                }
            }
        }
        if closed { return }
        if queue.isEmpty {
            queue.removeAll()
            headOffset = 0
        }
        let need = pendingBytes > 0
        if need != wantWritable {
            wantWritable = need
            updateInterest()
        }
        if pendingBytes == 0 {
            if closeAfterFlush { close(); return }
            onDrained?()
        }
    }

    private func updateInterest() {
        var ev: UInt32 = readPaused ? 0 : EventLoop.readable
        if wantWritable { ev |= EventLoop.writable }
        loop.modify(fd: fd, events: ev)
    }
}

/// One iovec array per process (the loop is single-threaded), reused by every `writev`.
final class IOVecs {
    static let capacity = 64
    nonisolated(unsafe) static let shared = IOVecs()
    let base = UnsafeMutablePointer<iovec>.allocate(capacity: capacity)
}

/// One read buffer per process (the loop is single-threaded): reads land here and are handed to
/// the parser, which copies only what it must keep.
final class ReadBuffer {
    static let size = 65536
    nonisolated(unsafe) static let shared = ReadBuffer()
    private let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 16)

    func withBuffer<T>(_ body: (UnsafeMutableRawBufferPointer) -> T) -> T { body(buf) }
}
