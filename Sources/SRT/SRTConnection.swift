import CSRT
import System

/// One accepted SRT connection on the loop: messages in (each at most one UDP payload, 1316
/// bytes of MPEG-TS from encoders), messages out through a bounded queue, libsrt's statistics.
/// Nothing here knows about media: the owner feeds `onMessage` into a demuxer, or `send`s
/// transport stream packets to a player.
public final class SRTConnection {
    /// libsrt's id of the socket.
    public let socket: SRTSOCKET
    /// SRTO_STREAMID as the client sent it (libsrt keeps at most 512 bytes).
    public let streamID: String
    /// The client's numeric address and port.
    public let peerHost: String
    public let peerPort: Int
    /// The largest message `send` makes: SRTO_PAYLOADSIZE (SRS: 1316, 7 TS packets).
    public let payloadSize: Int
    /// `send` refuses bytes past this many queued (libsrt's own send buffer is full by then).
    public let maxQueuedBytes: Int

    /// Each message received; the slice is only valid during the call.
    public var onMessage: ((ArraySlice<UInt8>) -> Void)?
    /// Once, when the peer goes or the connection breaks (not after `close()`).
    public var onClose: ((SRTError) -> Void)?

    public private(set) var closed = false
    /// Payload bytes read and sent by us (for the API and `on_close`), queued not yet sent.
    public private(set) var bytesReceived: UInt64 = 0
    public private(set) var bytesSent: UInt64 = 0
    public private(set) var queuedBytes = 0

    /// How many messages one readiness event reads before letting the loop do other work.
    static let readBudget = 256

    private let poller: SRTPoller
    private let loop: EventLoop
    private var receiveBuffer = [UInt8](repeating: 0, count: 1500)
    private var queue: [[UInt8]] = []
    private var queueHead = 0
    private var watching: Int32
    private var lastStats: SRTStats?

    /// Takes over an accepted (or connected) socket: makes it non-blocking, reads its stream id
    /// and peer, and watches it for reading. Throws (and closes the socket) if libsrt refuses.
    public init(socket: SRTSOCKET, poller: SRTPoller, loop: EventLoop, maxQueuedBytes: Int = 8 << 20) throws {
        self.socket = socket
        self.poller = poller
        self.loop = loop
        self.maxQueuedBytes = maxQueuedBytes
        do {
            try SRTOption.set(socket, SRTO_SNDSYN, false)
            try SRTOption.set(socket, SRTO_RCVSYN, false)
        } catch {
            srt_close(socket)
            throw error
        }
        streamID = SRTOption.string(socket, SRTO_STREAMID) ?? ""
        (peerHost, peerPort) = SRTAddress.peer(of: socket)
        payloadSize = Int(SRTOption.int32(socket, SRTO_PAYLOADSIZE) ?? 1316)
        watching = SRTPoller.readable | SRTPoller.error
        do {
            try poller.add(socket, events: watching) { [weak self] events in self?.handle(events) }
        } catch {
            srt_close(socket)
            throw error
        }
    }

    deinit {
        if !closed { close() }
    }

    /// libsrt's statistics; `clear` resets the interval counters. libsrt has none for a broken
    /// socket: then (and after `close()`) the last ones read.
    public func stats(clear: Bool = false) -> SRTStats? {
        guard !closed, let s = SRTStats.read(socket, clear: clear) else { return lastStats }
        lastStats = s
        return s
    }

    /// Queues `bytes` as messages of at most `payloadSize` and sends what libsrt takes now.
    /// False (nothing queued) when the queue would exceed `maxQueuedBytes`: the caller drops
    /// media or gives up on this player.
    @discardableResult
    public func send(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard !closed else { return false }
        guard queuedBytes + bytes.count <= maxQueuedBytes else { return false }
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let end = min(bytes.endIndex, i + payloadSize)
            queue.append(Array(bytes[i..<end]))
            i = end
        }
        queuedBytes += bytes.count
        flush()
        return true
    }

    /// Closes the socket now (queued bytes are dropped). `onClose` is not called.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = stats()
        poller.remove(socket)
        srt_close(socket)
        queue.removeAll()
        queueHead = 0
        queuedBytes = 0
    }

    private func handle(_ events: Int32) {
        guard !closed else { return }
        if events & (SRTPoller.readable | SRTPoller.error) != 0 { readAvailable() }
        if !closed && events & SRTPoller.writable != 0 { flush() }
        // libsrt 1.5.1 keeps reporting OUT on a broken socket, watched or not (and ERR only
        // once): an event we did not ask for is a reason to look at the socket's state.
        if !closed && (events & SRTPoller.error != 0 || (events & ~watching != 0 && isBroken)) {
            fail(SRTError(call: "srt_epoll", code: SRT_ECONNLOST.rawValue, message: "connection broken"))
        }
    }

    /// libsrt gave up on the connection (or it is being closed).
    private var isBroken: Bool {
        let state = srt_getsockstate(socket)
        return state == SRTS_BROKEN || state == SRTS_CLOSING || state == SRTS_CLOSED || state == SRTS_NONEXIST
    }

    /// Reads until libsrt would block (edge-triggered), or the budget is spent: then the rest
    /// is read at the end of this loop iteration, after other sockets had their turn.
    private func readAvailable() {
        for _ in 0..<Self.readBudget {
            let n = receiveBuffer.withUnsafeMutableBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { srt_recvmsg(socket, $0, Int32(b.count)) }
            }
            if n < 0 {
                let error = SRTError.last("srt_recvmsg", context: "@\(socket)")
                if !error.wouldBlock { fail(error) }
                return
            }
            bytesReceived += UInt64(n)
            onMessage?(receiveBuffer[0..<Int(n)])
            if closed { return }
        }
        loop.runSoon { [weak self] in
            guard let self, !self.closed else { return }
            self.readAvailable()
        }
    }

    private func flush() {
        while queueHead < queue.count {
            let message = queue[queueHead]
            let rc = message.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { srt_sendmsg2(socket, $0, Int32(b.count), nil) }
            }
            if rc < 0 {
                let error = SRTError.last("srt_sendmsg2", context: "@\(socket)")
                if error.wouldBlock {
                    // Let go of what was sent, now and then, so the array stays small.
                    if queueHead >= 256 {
                        queue.removeFirst(queueHead)
                        queueHead = 0
                    }
                    watch(SRTPoller.readable | SRTPoller.writable | SRTPoller.error)
                } else {
                    fail(error)
                }
                return
            }
            bytesSent += UInt64(message.count)
            queuedBytes -= message.count
            queueHead += 1
        }
        queue.removeAll(keepingCapacity: true)
        queueHead = 0
        watch(SRTPoller.readable | SRTPoller.error)
    }

    private func watch(_ events: Int32) {
        guard events != watching else { return }
        watching = events
        poller.modify(socket, events: events)
    }

    private func fail(_ error: SRTError) {
        guard !closed else { return }
        close()
        onClose?(error)
    }
}
