import Kernel
import Protocol
import System

/// One RTMP play connection: TCP connect, handshake (complex, as ffmpeg), `connect`,
/// `createStream`, `play`, then counting media. Measures the time from the start of the TCP
/// connect to the first video keyframe (not a sequence header), bytes received, and gaps in
/// media. Replies to pings and acknowledges the server's window, so servers that throttle on
/// missing acknowledgements keep sending.
///
/// Commands are matched by transaction id, not by arrival order, and `onStatus` is only read for
/// errors: servers differ in what they send and when.
final class RTMPPlayer {
    enum Phase: Equatable {
        case connecting, handshaking, connectingApp, creatingStream, playing, failed, closed
    }

    private let url: PlayURL
    private let loop: EventLoop
    private var socket: StreamSocket?
    private var decoder = RTMPChunkDecoder()
    private var handshakeBytes: [UInt8] = []
    private var c1: [UInt8] = []

    private(set) var phase = Phase.connecting
    /// Why the player failed or was closed by the peer.
    private(set) var failure: String?
    /// Monotonic µs when the TCP connect started.
    let startUs: Int64
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

    private var ackWindow: UInt64 = 0
    private var lastAckAt: UInt64 = 0
    private var streamID: UInt32 = 0
    private static let connectTransaction = 1.0
    private static let createStreamTransaction = 2.0
    /// Chunk size we send with (our messages are small; the default needs no Set Chunk Size).
    private static let outChunkSize = 128

    init(url: PlayURL, loop: EventLoop) {
        self.url = url
        self.loop = loop
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
                guard self.phase == .connecting else { s.close(); return }
                self.attach(s)
            }
        }
    }

    /// Closes the connection (end of the run). Not counted as a failure.
    func stop() {
        guard phase != .failed && phase != .closed else { return }
        phase = .closed
        socket?.onClose = nil
        socket?.close()
        socket = nil
    }

    /// Marks the player failed (timeout decided by the runner, or a protocol error) and closes it.
    func fail(_ reason: String) {
        guard phase != .failed && phase != .closed else { return }
        phase = .failed
        failure = reason
        socket?.onClose = nil
        socket?.close()
        socket = nil
    }

    /// Whether this player is still connected.
    var isOpen: Bool { phase != .failed && phase != .closed }

    private func attach(_ s: StreamSocket) {
        socket = s
        phase = .handshaking
        connectedUs = MicroClock.now() - startUs
        s.onData = { [weak self] bytes in self?.received(bytes) }
        s.onClose = { [weak self] reason in self?.fail("closed by peer: \(reason)") }
        var rng = SystemRandomNumberGenerator()
        let hello = RTMPHandshake.clientHello(time: 0, using: &rng)
        c1 = Array(hello[1...])
        s.send(hello)
    }

    private func received(_ bytes: UnsafeRawBufferPointer) {
        bytesReceived += UInt64(bytes.count)
        reads += 1
        readAtUs = MicroClock.now()
        do {
            if phase == .handshaking {
                try handshake(bytes)
            } else {
                for m in try decoder.feed(bytes) { try handle(m) }
            }
            acknowledge()
        } catch {
            fail("\(error)")
        }
    }

    private func handshake(_ bytes: UnsafeRawBufferPointer) throws {
        handshakeBytes.append(contentsOf: bytes)
        guard handshakeBytes.count >= RTMPHandshake.s0s1s2Size else { return }
        var rng = SystemRandomNumberGenerator()
        let s0s1s2 = Array(handshakeBytes[0..<RTMPHandshake.s0s1s2Size])
        let c2 = try RTMPHandshake.clientResponse(c1: c1, s0s1s2: s0s1s2, using: &rng)
        let extra = Array(handshakeBytes[RTMPHandshake.s0s1s2Size...])
        handshakeBytes = []
        c1 = []
        socket?.send(c2)
        phase = .connectingApp
        handshakeUs = MicroClock.now() - startUs
        send(RTMPCommand(name: "connect", transactionID: Self.connectTransaction, commandObject: .object([
            AMF0Property("app", .string(url.app)),
            AMF0Property("flashVer", .string("LNX 9,0,124,2")),
            AMF0Property("tcUrl", .string(url.tcUrl)),
            AMF0Property("fpad", .boolean(false)),
            AMF0Property("capabilities", .number(15)),
            AMF0Property("audioCodecs", .number(4071)),
            AMF0Property("videoCodecs", .number(252)),
            AMF0Property("videoFunction", .number(1)),
        ])).message())
        if !extra.isEmpty {
            for m in try decoder.feed(extra) { try handle(m) }
        }
    }

    private func send(_ m: RTMPMessage) {
        socket?.send(RTMPChunkEncoder.encode(m, chunkSize: Self.outChunkSize))
    }

    /// Sends an Acknowledgement every half window (the spec asks for one per window; earlier is
    /// harmless and keeps a strict server from waiting on us).
    private func acknowledge() {
        guard ackWindow > 0, bytesReceived - lastAckAt >= ackWindow / 2, isOpen else { return }
        lastAckAt = bytesReceived
        send(RTMPControl.acknowledgement(UInt32(truncatingIfNeeded: bytesReceived)))
    }

    private func handle(_ m: RTMPMessage) throws {
        switch m.type {
        case RTMPMessageType.audio, RTMPMessageType.video:
            media(type: m.type, timestamp: m.timestamp, payload: m.payload[...])
        case RTMPMessageType.aggregate:
            try aggregate(m)
        case RTMPMessageType.amf0Command, RTMPMessageType.amf3Command:
            try command(RTMPCommand.decode(type: m.type, payload: m.payload))
        case RTMPMessageType.windowAckSize:
            var r = ByteReader(m.payload)
            ackWindow = UInt64(try r.u32())
        case RTMPMessageType.userControl:
            var r = ByteReader(m.payload)
            let event = try r.u16()
            if event == RTMPControl.pingRequest {
                send(RTMPControl.userControl(event: RTMPControl.pingResponse, value: try r.u32()))
            }
        default:
            // Set Chunk Size is applied by the decoder; data messages (onMetaData), bandwidth and
            // other user control events need nothing from a player.
            break
        }
    }

    private func command(_ cmd: RTMPCommand) throws {
        switch cmd.name {
        case "_result":
            if cmd.transactionID == Self.connectTransaction && phase == .connectingApp {
                phase = .creatingStream
                send(RTMPCommand(name: "createStream", transactionID: Self.createStreamTransaction).message())
            } else if cmd.transactionID == Self.createStreamTransaction && phase == .creatingStream {
                guard let id = cmd.arguments.first?.numberValue, id >= 0, id < 4_294_967_296 else {
                    throw RTMPError.malformed("createStream result without a stream id")
                }
                streamID = UInt32(id)
                play()
            }
        case "_error":
            let info = cmd.arguments.first
            throw RTMPError.malformed("_error \(info?["code"]?.stringValue ?? "") \(info?["description"]?.stringValue ?? "")")
        case "onStatus":
            let info = cmd.arguments.first
            if info?["level"]?.stringValue == "error" {
                throw RTMPError.malformed("onStatus \(info?["code"]?.stringValue ?? "error")")
            }
        default:
            // onBWDone, _checkbw, onFCSubscribe...: nothing a player must answer for playback.
            break
        }
    }

    private func play() {
        phase = .playing
        playSentUs = MicroClock.now() - startUs
        send(RTMPCommand(name: "play", transactionID: 0, commandObject: .null,
                         arguments: [.string(url.stream), .number(-2000)])
            .message(streamID: streamID, chunkStreamID: 8))
        // User control SetBufferLength: event 3, stream id, buffer ms (ffmpeg sends 3000).
        var w = ByteWriter(capacity: 10)
        w.u16(RTMPControl.setBufferLength)
        w.u32(streamID)
        w.u32(3000)
        send(RTMPMessage(type: RTMPMessageType.userControl, chunkStreamID: RTMPChunkStreamID.protocolControl, payload: w.bytes))
    }

    /// Counts an audio or video message; records the first video keyframe.
    private func media(type: UInt8, timestamp: UInt32, payload: ArraySlice<UInt8>) {
        let now = loop.now
        if mediaMessages > 0 { maxGapMs = max(maxGapMs, now - lastMediaMs) }
        lastMediaMs = now
        mediaMessages += 1
        if recording { timing.record(arrivalUs: readAtUs, timestamp: timestamp) }
        if firstMediaUs == nil { firstMediaUs = readAtUs - startUs }
        guard firstFrameUs == nil, type == RTMPMessageType.video,
              let info = try? FLVVideoInfo.parse(payload), info.isKeyframe, !info.isSequenceHeader else { return }
        firstFrameUs = readAtUs - startUs
    }

    /// An aggregate message: FLV tags back to back (11-byte header, data, 4-byte previous size).
    /// Tag timestamps are relative to the first tag's, which has the message's timestamp.
    private func aggregate(_ m: RTMPMessage) throws {
        let payload = m.payload
        var off = 0
        var firstTagTime: UInt32?
        while payload.count - off >= 11 {
            let type = payload[off] & 0x1F
            let size = Int(payload[off + 1]) << 16 | Int(payload[off + 2]) << 8 | Int(payload[off + 3])
            let tagTime = UInt32(payload[off + 7]) << 24 | UInt32(payload[off + 4]) << 16
                | UInt32(payload[off + 5]) << 8 | UInt32(payload[off + 6])
            let base = firstTagTime ?? tagTime
            firstTagTime = base
            let start = off + 11
            guard payload.count - start >= size else { throw RTMPError.malformed("aggregate tag of \(size) bytes") }
            if type == RTMPMessageType.audio || type == RTMPMessageType.video {
                media(type: type, timestamp: m.timestamp &+ (tagTime &- base), payload: payload[start..<(start + size)])
            }
            off = start + size + 4
        }
    }
}
