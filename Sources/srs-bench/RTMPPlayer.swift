import Kernel
import Protocol
import System

/// One RTMP play connection: TCP connect, then the protocol of `RTMPSession` (complex
/// handshake as ffmpeg, `connect`, `createStream`, `play`, acknowledgements of the server's
/// window, answers to pings), counting media. Measures the time from the start of the TCP
/// connect to the first video keyframe (not a sequence header), bytes received, and gaps in
/// media.
final class RTMPPlayer {
    enum Phase: Equatable { case open, failed, closed }

    private let loop: EventLoop
    private let url: PlayURL
    private var socket: StreamSocket?
    private var session: RTMPSession

    private(set) var phase = Phase.open
    /// Why the player failed or was closed by the peer.
    private(set) var failure: String?
    /// Monotonic µs when the TCP connect started (with `holdsHandshake`, when it was released).
    private(set) var startUs: Int64
    /// µs from connect start to the first video keyframe, once seen.
    private(set) var firstFrameUs: Int64?
    /// µs from connect start to: TCP connected, handshake done, `play` sent, first audio/video
    /// message. They show where the time to the first frame goes.
    private(set) var connectedUs: Int64?
    private(set) var handshakeUs: Int64?
    private(set) var playSentUs: Int64?
    private(set) var firstMediaUs: Int64?
    /// Every byte read from the socket (handshake and protocol messages included).
    private(set) var bytesReceived: UInt64 = 0
    /// Reads that returned data (bytes per read shows how well the server batches its writes).
    private(set) var reads = 0
    /// Monotonic ms of the last audio/video message (or of the start, before any).
    private(set) var lastMediaMs: Int64
    /// Longest gap between media messages, once playing, in ms.
    private(set) var maxGapMs: Int64 = 0
    private(set) var mediaMessages = 0
    /// Set by the runner for the measured window: media arrivals are then recorded in `timing`.
    var recording = false
    /// Arrival times against timestamps of the media inside the window.
    private(set) var timing = MessageTiming()
    /// µs when the data being handled was read (one clock read per socket read).
    private var readAtUs: Int64 = 0
    /// Set before `start()` to hold the handshake once connected, until `release()`: the
    /// runner first checks which server process accepted the connection (`--on-pid`).
    var holdsHandshake = false
    /// Connected and waiting for `release()`.
    private(set) var isHeld = false
    /// Open and not released yet (connecting, or held).
    var awaitsPlacement: Bool { holdsHandshake && isOpen }
    /// Our port of the connection, once connected.
    private(set) var localPort: Int?

    init(url: PlayURL, loop: EventLoop) {
        self.url = url
        self.loop = loop
        var seed = SystemRandomNumberGenerator()
        session = RTMPSession(role: .client(RTMPClientOptions(mode: .play, tcUrl: url.tcUrl, app: url.app, streamName: url.stream,
                                                              flashVer: "LNX 9,0,124,2")),
                              time: 0, random: FastRandom(seed: seed.next()))
        startUs = MicroClock.now()
        lastMediaMs = loop.now
    }

    /// Starts the TCP connect.
    func start() {
        StreamSocket.connect(ip: url.ip, port: url.port, loop: loop) { [weak self] result in
            guard let self else { return }
            switch result {
            case .failure(let e):
                self.fail("connect: \(e)")
            case .success(let s):
                guard self.isOpen, self.socket == nil else { s.close(); return }
                self.attach(s)
            }
        }
    }

    /// Closes the connection (end of the run). Not counted as a failure.
    func stop() {
        guard isOpen else { return }
        phase = .closed
        socket?.onClose = nil
        socket?.close()
        socket = nil
    }

    /// Marks the player failed (timeout decided by the runner, or a protocol error) and closes it.
    func fail(_ reason: String) {
        guard isOpen else { return }
        phase = .failed
        failure = reason
        socket?.onClose = nil
        socket?.close()
        socket = nil
    }

    /// Whether this player is still connected.
    var isOpen: Bool { phase == .open }

    /// Starts the handshake of a held connection; start-up is timed from now.
    func release() {
        guard isHeld, let s = socket else { return }
        isHeld = false
        holdsHandshake = false
        startUs = MicroClock.now()
        connectedUs = 0
        session.start()
        s.send(session.takeOutput())
    }

    private func attach(_ s: StreamSocket) {
        socket = s
        connectedUs = MicroClock.now() - startUs
        localPort = ServerSockets.localPort(fd: s.fd)
        s.onData = { [weak self] bytes in self?.received(bytes) }
        s.onClose = { [weak self] reason in self?.fail("closed by peer: \(reason)") }
        if holdsHandshake {
            isHeld = true
            return
        }
        session.start()
        s.send(session.takeOutput())
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        bytesReceived += UInt64(bytes.count)
        reads += 1
        readAtUs = MicroClock.now()
        do {
            try session.feed(bytes)
            while isOpen, let event = try session.nextEvent() { handle(event) }
            if isOpen, session.hasOutput { socket?.send(session.takeOutput()) }
        } catch {
            fail("\(error)")
        }
    }

    private func handle(_ event: RTMPSessionEvent) {
        switch event {
        case .handshakeDone:
            handshakeUs = MicroClock.now() - startUs
        case .streamCreated:
            playSentUs = MicroClock.now() - startUs
        case .media(let m):
            media(m)
        case .rejected(let code, let description):
            fail("rejected \(code) \(description)")
        case .redirected(let url):
            fail("redirected to \(url)")
        case .closeRequested:
            fail("server sent close")
        case .data, .connected, .started, .status, .connect, .publish, .play, .unpublish, .deleteStream:
            // Metadata, status and server-role events: nothing a player must do for playback.
            break
        }
    }

    /// Counts an audio or video message; records the first video keyframe.
    private func media(_ m: RTMPMessage) {
        let now = loop.now
        if mediaMessages > 0 { maxGapMs = max(maxGapMs, now - lastMediaMs) }
        lastMediaMs = now
        mediaMessages += 1
        if recording { timing.record(arrivalUs: readAtUs, timestamp: m.timestamp) }
        if firstMediaUs == nil { firstMediaUs = readAtUs - startUs }
        guard firstFrameUs == nil, m.type == RTMPMessageType.video,
              let info = try? FLVVideoInfo.parse(m.payload[...]), info.isKeyframe, !info.isSequenceHeader else { return }
        firstFrameUs = readAtUs - startUs
    }
}
