import Kernel

/// One RTMP connection's protocol, at either end, without I/O: bytes in (`feed`), events out
/// (`nextEvent`), and the bytes to send collected in an output buffer the owner drains
/// (`takeOutput`) and writes, in order, before anything it writes itself.
///
/// The session does what every RTMP peer must: the handshake (simple and complex), chunking
/// both ways (the peer's Set Chunk Size and Abort), an Acknowledgement each time the peer's
/// full window was received (RTMP §5.4.3, as SRS), answers to pings, aggregate messages split
/// into their parts, and the command exchange: as a server, SRS's answers byte for byte
/// (`RTMPSession+Server.swift`); as a client, connect → createStream → play or publish with
/// transaction ids matched (`RTMPSession+Client.swift`). What to accept stays with the owner.
///
/// Events are pulled one at a time rather than returned in a batch: the owner's answer to a
/// message (accepting a `connect`, say) must go out before the session's answers to the
/// messages after it, in order, as clients that pipeline commands expect. While a `connect`,
/// `publish` or `play` waits for the owner's decision (which may take a round trip, such as an
/// edge's token check), later messages stay queued, at most `maxHeldMessages` of them.
///
/// Media going out to many players does not pass through here: the owner encodes a message once
/// with `outChunkSize` and shares the bytes. Time and randomness (of the handshake) are
/// injected. Peer input never traps: a violation throws `RTMPError`, and the connection should
/// then be closed.
public struct RTMPSession {
    /// Which end of the connection this is.
    public enum Role: Equatable, Sendable {
        case server
        case client(RTMPClientOptions)
    }

    /// What waits for the owner's answer (server role).
    public enum Decision: String, Sendable {
        case connect, publish, play
    }

    /// Where the exchange is.
    public enum Stage: Equatable, Sendable, CustomStringConvertible {
        /// Handshake packets are exchanged.
        case handshake
        /// Server: waiting for `connect`. Client: `connect` sent.
        case connect
        /// Server: the owner decides about a `connect`, `publish` or `play`; later messages wait.
        case decide(Decision)
        /// Client: `createStream` sent.
        case createStream
        /// Server: connected, between streams or with one. Client (`.connectOnly`): done.
        case connected
        /// Client: `play` or `publish` sent.
        case start
        /// Client: playing or publishing.
        case started
        /// Rejected, redirected or closed: input is ignored from now on.
        case ended

        public var description: String {
            switch self {
            case .handshake: return "handshake"
            case .connect: return "connect app"
            case .decide(let d): return "\(d.rawValue) decision"
            case .createStream: return "createStream"
            case .connected: return "connected"
            case .start: return "start"
            case .started: return "started"
            case .ended: return "ended"
            }
        }
    }

    /// The stream the server side has accepted.
    enum ActiveStream { case none, publishing, playing }

    enum HandshakeStep {
        case serverC0C1
        case serverC2(complex: Bool)
        case clientStart
        case clientS0S1S2(c1: [UInt8])
        case done
    }

    /// Largest number of messages queued while a decision is pending.
    public static let maxHeldMessages = 64

    public internal(set) var stage = Stage.handshake
    /// True once `connect` succeeded (server: the owner accepted it; client: the server did).
    public internal(set) var isConnected = false
    /// The chunk size of what we send; media the owner encodes itself must use it too.
    public internal(set) var outChunkSize = 128
    /// Every byte fed, handshake included: the sequence number of our acknowledgements.
    public private(set) var bytesReceived: UInt64 = 0

    /// Client role: what to connect to and do.
    let clientOptions: RTMPClientOptions?
    private let time: UInt32
    private var random: FastRandom
    private var handshake: HandshakeStep
    private var handshakeBuffer: [UInt8] = []
    /// An event born in `feed` (the handshake's), returned by the next `nextEvent`.
    private var notice: RTMPSessionEvent?
    private var decoder = RTMPChunkDecoder()
    private var inbox: [RTMPMessage] = []
    private var inboxHead = 0
    /// The parts of an aggregate message, delivered before the next message.
    private var parts: [RTMPMessage] = []
    private var partsHead = 0
    private var ackWindow: UInt32 = 0
    private var ackedBytes: UInt64 = 0
    private var output = ByteWriter(capacity: 0)

    // Server role.
    /// The client called `releaseStream`/`FCPublish` (FMLE: ffmpeg, OBS); its publish is then
    /// answered with `onFCPublish` too.
    public internal(set) var isFMLE = false
    var connectTransaction: Double = 0
    var objectEncoding: Double = 0
    var activeStream = ActiveStream.none

    // Client role.
    /// The stream id `createStream` returned.
    public internal(set) var streamID: UInt32 = 0
    var nextTransaction: Double = 1
    /// Commands sent and not answered yet, by transaction id.
    var transactions: [Double: String] = [:]

    /// A session for one end. `time` goes in the handshake packets' time field; `random` fills them.
    public init(role: Role, time: UInt32, random: FastRandom) {
        self.time = time
        self.random = random
        switch role {
        case .server:
            clientOptions = nil
            handshake = .serverC0C1
        case .client(let options):
            clientOptions = options
            handshake = .clientStart
        }
    }

    var isServer: Bool { clientOptions == nil }

    // MARK: - Output

    /// True when bytes wait in the output buffer.
    public var hasOutput: Bool { output.count > 0 }

    /// The bytes to send, in order; the buffer is empty afterwards.
    public mutating func takeOutput() -> [UInt8] {
        let bytes = output.bytes
        output = ByteWriter(capacity: 0)
        return bytes
    }

    /// Encodes a message into the output with our chunk size.
    mutating func write(_ m: RTMPMessage) {
        RTMPChunkEncoder.encode(m, chunkSize: outChunkSize, into: &output)
    }

    // MARK: - Input

    /// Client role: queues C0+C1 (complex, as ffmpeg). Call once the connection is up.
    public mutating func start() {
        guard case .clientStart = handshake else { return }
        let hello = RTMPHandshake.clientHello(time: time, using: &random)
        handshake = .clientS0S1S2(c1: Array(hello[1...]))
        output.append(hello)
    }

    /// Takes bytes from the peer. Complete messages wait for `nextEvent`, which the owner calls
    /// until it returns nil after each `feed`. Throws on a protocol violation.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws {
        bytesReceived += UInt64(bytes.count)
        guard stage != .ended else { return }
        var rest = bytes
        if stage == .handshake {
            let used = try consumeHandshake(bytes)
            rest = UnsafeRawBufferPointer(rebasing: bytes[used...])
        }
        guard !rest.isEmpty else { return }
        try decoder.feed(rest, into: &inbox)
        if case .decide(let d) = stage, inbox.count - inboxHead > Self.maxHeldMessages {
            throw RTMPError.limit("more than \(Self.maxHeldMessages) messages while \(d.rawValue) waits for an answer")
        }
    }

    /// `feed` for bytes in an array.
    public mutating func feed(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try feed($0) }
    }

    /// The next event of what was fed, or nil when there is none for now: everything was
    /// handled, a decision is pending, or the session ended. Answers that need no decision
    /// (pings, acknowledgements, `createStream`...) go to the output meanwhile.
    public mutating func nextEvent() throws -> RTMPSessionEvent? {
        if let n = notice {
            notice = nil
            return n
        }
        while true {
            switch stage {
            case .ended:
                return nil
            case .decide:
                acknowledgeIfNeeded()
                return nil
            case .handshake, .connect, .createStream, .connected, .start, .started:
                break
            }
            guard let m = nextMessage() else {
                acknowledgeIfNeeded()
                return nil
            }
            if let event = try handle(m) { return event }
        }
    }

    /// Ends the session: later input is ignored and no event comes out.
    mutating func end() {
        stage = .ended
        inbox = []
        inboxHead = 0
        parts = []
        partsHead = 0
    }

    private mutating func nextMessage() -> RTMPMessage? {
        if partsHead < parts.count {
            partsHead += 1
            return parts[partsHead - 1]
        }
        if !parts.isEmpty {
            parts = []
            partsHead = 0
        }
        guard inboxHead < inbox.count else {
            if !inbox.isEmpty {
                // Kept for the next read unless a burst made it large.
                if inbox.capacity > 64 { inbox = [] } else { inbox.removeAll(keepingCapacity: true) }
                inboxHead = 0
            }
            return nil
        }
        inboxHead += 1
        return inbox[inboxHead - 1]
    }

    /// Media flows to a server from its client, to a client once it plays.
    private var acceptsMedia: Bool {
        switch clientOptions?.mode {
        case nil: return true
        case .play?: return stage == .started
        case .publish?, .connectOnly?: return false
        }
    }

    private mutating func handle(_ m: RTMPMessage) throws -> RTMPSessionEvent? {
        switch m.type {
        case RTMPMessageType.audio, RTMPMessageType.video:
            return acceptsMedia ? .media(m) : nil
        case RTMPMessageType.amf0Data, RTMPMessageType.amf3Data:
            return acceptsMedia ? .data(m) : nil
        case RTMPMessageType.aggregate:
            if acceptsMedia {
                parts = try RTMPAggregate.split(m)
                partsHead = 0
            }
            return nil
        case RTMPMessageType.amf0Command, RTMPMessageType.amf3Command:
            let cmd = try RTMPCommand.decode(type: m.type, payload: m.payload)
            return try isServer ? serverCommand(cmd) : clientCommand(cmd)
        case RTMPMessageType.windowAckSize:
            var r = ByteReader(m.payload)
            ackWindow = try r.u32()
            return nil
        case RTMPMessageType.userControl:
            var r = ByteReader(m.payload)
            if try r.u16() == RTMPControl.pingRequest {
                write(RTMPControl.userControl(event: RTMPControl.pingResponse, value: try r.u32()))
            }
            return nil
        default:
            // Set Chunk Size and Abort were applied by the decoder; acknowledgements and Set Peer
            // Bandwidth need nothing.
            return nil
        }
    }

    /// Sends an Acknowledgement each time the peer's window of bytes was received (RTMP §5.4.3).
    private mutating func acknowledgeIfNeeded() {
        guard ackWindow > 0, bytesReceived - ackedBytes >= UInt64(ackWindow) else { return }
        ackedBytes = bytesReceived
        write(RTMPControl.acknowledgement(UInt32(truncatingIfNeeded: bytesReceived)))
    }

    // MARK: - Handshake

    /// Takes what the handshake needs of `bytes`; returns how many it took.
    private mutating func consumeHandshake(_ bytes: UnsafeRawBufferPointer) throws -> Int {
        var used = 0
        while stage == .handshake {
            let need: Int
            switch handshake {
            case .serverC0C1: need = RTMPHandshake.c0c1Size
            case .serverC2: need = RTMPHandshake.c2Size
            case .clientS0S1S2: need = RTMPHandshake.s0s1s2Size
            case .clientStart, .done: throw RTMPError.malformed("bytes before the handshake started")
            }
            let take = min(need - handshakeBuffer.count, bytes.count - used)
            handshakeBuffer.append(contentsOf: bytes[used..<(used + take)])
            used += take
            guard handshakeBuffer.count == need else { return used }
            let packet = handshakeBuffer
            handshakeBuffer = []
            try handshakePacket(packet)
        }
        return used
    }

    private mutating func handshakePacket(_ packet: [UInt8]) throws {
        switch handshake {
        case .serverC0C1:
            let (response, complex) = try RTMPHandshake.serverResponse(c0c1: packet, time: time, using: &random)
            output.append(response)
            handshake = .serverC2(complex: complex)
        case .serverC2(let complex):
            // C2 echoes S1 (or signs it); SRS does not check it, nor do we.
            handshake = .done
            stage = .connect
            notice = .handshakeDone(complex: complex)
        case .clientS0S1S2(let c1):
            let (c2, complex) = try RTMPHandshake.clientExchange(c1: c1, s0s1s2: packet, using: &random)
            output.append(c2)
            handshake = .done
            stage = .connect
            notice = .handshakeDone(complex: complex)
            sendConnect()
        case .clientStart, .done:
            break
        }
    }
}
