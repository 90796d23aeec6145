import Kernel
import Protocol
import System

/// One RTMP publish connection: TCP connect, then `RTMPSession`'s client publish role (complex
/// handshake, `connect`, `releaseStream`, `FCPublish`, `createStream`, `publish`, as ffmpeg),
/// then the clip in real time: the headers at once, each media tag when it is due
/// (`origin + timestamp`, the origin being the moment the server accepted the publish).
///
/// **Lateness** of a tag: the time its last byte was handed to the kernel (`writev` returned
/// past it) minus its due time. A publisher queues what is due only while less than
/// `maxQueuedBytes` wait in user space, as a blocking encoder would: when the server reads
/// slowly, the socket fills, tags wait, and their lateness grows. It includes up to one pacing
/// tick (10 ms) of granularity.
final class RTMPPublisher {
    enum Phase: Equatable {
        /// TCP connect, handshake and commands until `NetStream.Publish.Start`.
        case starting
        case publishing
        /// Never published (connect refused, publish rejected, closed, timeout).
        case failed
        /// Published, then the connection ended before the end of the run.
        case disconnected
        /// Closed by the runner at the end.
        case closed
    }

    let index: Int
    private let loop: EventLoop
    private let url: PlayURL
    private let clip: FLVClip
    private let maxQueuedBytes: Int
    private var socket: StreamSocket?
    private var session: RTMPSession

    private(set) var phase = Phase.starting
    /// Why the publisher failed or was disconnected.
    private(set) var failure: String?
    /// Monotonic µs when the TCP connect started.
    let startUs: Int64
    /// µs from connect start to `NetStream.Publish.Start`.
    private(set) var publishUs: Int64?
    /// Our port of the connection (the server's socket has it as its remote port).
    private(set) var localPort: Int?

    /// µs of timestamp 0: when the publish was accepted.
    private var originUs: Int64 = 0
    private var nextTag = 0
    private var loopCount: Int64 = 0
    /// Tags handed to the socket and not written yet: where each ends in the socket's byte
    /// count, and when it was due.
    private var inFlight: [(end: UInt64, dueUs: Int64)] = []
    private var inFlightHead = 0
    /// Bytes written to the socket, kept when it closes.
    private var writtenAtClose: UInt64 = 0

    /// Set by the runner for the measured window: the lateness of tags due from `recordFromUs`
    /// on is then recorded in `latenessUs` (the runner's own sampling at the window's start
    /// stalls the loop for a moment: what was due meanwhile is not the server's doing).
    var recording = false
    var recordFromUs: Int64 = 0
    /// Lateness of every tag written inside the window, µs.
    private(set) var latenessUs: [Int32] = []
    /// Largest lateness since publishing started, and inside the window, µs.
    private(set) var maxLatenessUs: Int64 = 0
    private(set) var windowMaxLatenessUs: Int64 = 0
    /// Media tags written.
    private(set) var tagsWritten = 0

    init(index: Int, url: PlayURL, streamName: String, clip: FLVClip, chunkSize: Int, maxQueuedBytes: Int, loop: EventLoop) {
        self.index = index
        self.url = url
        self.clip = clip
        self.maxQueuedBytes = maxQueuedBytes
        self.loop = loop
        var seed = SystemRandomNumberGenerator()
        session = RTMPSession(role: .client(RTMPClientOptions(mode: .publish, tcUrl: url.tcUrl, app: url.app, streamName: streamName,
                                                              flashVer: "FMLE/3.0 (compatible; FMSc/1.0)", chunkSize: chunkSize)),
                              time: 0, random: FastRandom(seed: seed.next()))
        startUs = MicroClock.now()
    }

    var isOpen: Bool { phase == .starting || phase == .publishing }

    /// Bytes written to the socket so far (the protocol's too).
    var bytesWritten: UInt64 { socket?.bytesWritten ?? writtenAtClose }

    /// Starts the TCP connect.
    func start() {
        StreamSocket.connect(ip: url.ip, port: url.port, loop: loop) { [weak self] result in
            guard let self else { return }
            switch result {
            case .failure(let e):
                self.end(.failed, "connect: \(e)")
            case .success(let s):
                guard self.isOpen, self.socket == nil else { s.close(); return }
                self.attach(s)
            }
        }
    }

    /// Closes the connection at the end of the run (not a failure).
    func stop() { end(.closed, nil) }

    /// Fails a publisher that did not start in time.
    func timeOut(_ reason: String) {
        guard phase == .starting else { return }
        end(.failed, reason)
    }

    private func end(_ to: Phase, _ reason: String?) {
        guard isOpen else { return }
        phase = to
        failure = reason
        if let s = socket {
            writtenAtClose = s.bytesWritten
            s.onClose = nil
            s.onDrained = nil
            s.close()
        }
        socket = nil
    }

    private func attach(_ s: StreamSocket) {
        socket = s
        localPort = ServerSockets.localPort(fd: s.fd)
        s.onData = { [weak self] bytes in self?.received(bytes) }
        s.onClose = { [weak self] reason in
            guard let self else { return }
            self.end(self.phase == .publishing ? .disconnected : .failed, "closed by peer: \(reason)")
        }
        // Every tag queued is out: its lateness is known now.
        s.onDrained = { [weak self] in self?.settle(MicroClock.now()) }
        session.start()
        s.send(session.takeOutput())
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        do {
            try session.feed(bytes)
            while isOpen, let event = try session.nextEvent() { handle(event) }
            if isOpen, session.hasOutput { socket?.send(session.takeOutput()) }
        } catch {
            end(phase == .publishing ? .disconnected : .failed, "\(error)")
        }
    }

    private func handle(_ event: RTMPSessionEvent) {
        switch event {
        case .started:
            let now = MicroClock.now()
            publishUs = now - startUs
            phase = .publishing
            originUs = now
            for h in clip.headers { session.sendMedia(h) }
            socket?.send(session.takeOutput())
            pump(now)
        case .rejected(let code, let description):
            end(phase == .publishing ? .disconnected : .failed, "rejected \(code) \(description)")
        case .redirected(let url):
            end(.failed, "redirected to \(url)")
        case .closeRequested:
            end(phase == .publishing ? .disconnected : .failed, "server sent close")
        case .handshakeDone, .connected, .streamCreated, .status, .media, .data,
             .connect, .publish, .play, .unpublish, .deleteStream:
            break
        }
    }

    /// Queues every tag due by `nowUs` while the socket's user-space queue has room, after
    /// settling what was written since the last call. Called on every pacing tick.
    func pump(_ nowUs: Int64) {
        guard phase == .publishing, let s = socket else { return }
        settle(nowUs)
        while s.pendingBytes < maxQueuedBytes {
            let tag = clip.media[nextTag]
            let ts = loopCount * clip.durationMs + tag.offsetMs
            let due = originUs + ts * 1000
            if due > nowUs { break }
            session.sendMedia(RTMPMessage(type: tag.type, timestamp: UInt32(truncatingIfNeeded: ts), payload: tag.payload))
            s.send(session.takeOutput())
            inFlight.append((s.bytesQueued, due))
            nextTag += 1
            if nextTag == clip.media.count {
                nextTag = 0
                loopCount += 1
            }
        }
        // A publisher the socket holds back writes nothing: count its wait too.
        let due = oldestUnwrittenDueUs()
        let lag = max(0, nowUs - due)
        maxLatenessUs = max(maxLatenessUs, lag)
        if recording && due >= recordFromUs { windowMaxLatenessUs = max(windowMaxLatenessUs, lag) }
    }

    /// Records the lateness of the tags the socket has written by now.
    private func settle(_ nowUs: Int64) {
        guard let s = socket else { return }
        let written = s.bytesWritten
        while inFlightHead < inFlight.count && inFlight[inFlightHead].end <= written {
            let due = inFlight[inFlightHead].dueUs
            let late = max(0, nowUs - due)
            inFlightHead += 1
            tagsWritten += 1
            maxLatenessUs = max(maxLatenessUs, late)
            if recording && due >= recordFromUs {
                latenessUs.append(Int32(clamping: late))
                windowMaxLatenessUs = max(windowMaxLatenessUs, late)
            }
        }
        if inFlightHead == inFlight.count {
            inFlight.removeAll(keepingCapacity: true)
            inFlightHead = 0
        } else if inFlightHead > 1024 {
            inFlight.removeSubrange(0..<inFlightHead)
            inFlightHead = 0
        }
    }

    /// When the oldest tag not written yet (queued, or not queued for want of room) was or
    /// will be due, µs.
    private func oldestUnwrittenDueUs() -> Int64 {
        if inFlightHead < inFlight.count { return inFlight[inFlightHead].dueUs }
        return originUs + (loopCount * clip.durationMs + clip.media[nextTag].offsetMs) * 1000
    }
}
