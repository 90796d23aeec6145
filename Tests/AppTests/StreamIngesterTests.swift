import Glibc
import Kernel
import Protocol
import System
import XCTest
@testable import App
import Core

/// In-process: an origin `Server` on loopback (TCP and a unix socket), a publisher made of our
/// `RTMPClientSession`, and a `StreamIngester` pulling the stream into another source.
final class StreamIngesterTests: XCTestCase {
    /// Counts what a source delivers.
    final class Counter: LiveConsumer {
        var video = 0, audio = 0, data = 0, keyframes = 0
        var timestamps: [UInt32] = []
        var onVideo: (() -> Void)?
        func deliver(_ m: MediaMessage) {
            if m.isVideo {
                video += 1
                if m.isKeyframe { keyframes += 1 }
                timestamps.append(m.timestamp)
                onVideo?()
            } else if m.isAudio {
                audio += 1
            } else {
                data += 1
            }
        }
    }

    /// Publishes fake H.264/AAC every 40 ms through a client session (our client against our server).
    final class FakePublisher {
        let session: RTMPClientSession
        var ts: UInt32
        var timer: RepeatingTimer?
        var frames = 0

        init(endpoint: UpstreamEndpoint, loop: EventLoop, stream: String, startTs: UInt32 = 0) {
            ts = startTs
            session = RTMPClientSession(endpoint: endpoint, request: UpstreamRequest(vhost: "__defaultVhost__", app: "live", stream: stream),
                                        mode: .publish, loop: loop)
            session.onReady = { [unowned self] in
                let meta = AMF0.encode([.string("@setDataFrame"), .string("onMetaData"),
                                        .ecmaArray([AMF0Property("duration", .number(0)), AMF0Property("width", .number(320))])])
                session.send(RTMPMessage(type: RTMPMessageType.amf0Data, timestamp: 0, payload: meta))
                session.send(RTMPMessage(type: RTMPMessageType.video, timestamp: 0, payload: [0x17, 0, 0, 0, 0, 1, 0x42, 0, 0x1E, 0xFF]))
                session.send(RTMPMessage(type: RTMPMessageType.audio, timestamp: 0, payload: [0xAF, 0, 0x12, 0x10]))
                timer = loop.repeating(everyMs: 40) { [unowned self] in self.frame() }
            }
            session.start()
        }

        func frame() {
            let key = frames % 10 == 0
            session.send(RTMPMessage(type: RTMPMessageType.video, timestamp: ts, payload: [key ? 0x17 : 0x27, 1, 0, 0, 0] + [UInt8](repeating: 7, count: 200)))
            session.send(RTMPMessage(type: RTMPMessageType.audio, timestamp: ts, payload: [0xAF, 1] + [UInt8](repeating: 9, count: 50)))
            frames += 1
            ts += 40
        }

        func stop() {
            timer?.cancel()
            session.close()
        }
    }

    var loop: EventLoop!
    var origin: Server!
    var tcpPort = 0
    var unixName = ""

    override func setUpWithError() throws {
        loop = try EventLoop()
        var config = ServerConfig()
        config.vhosts = [VhostConfig(name: VhostConfig.defaultName)]
        origin = Server(config: config, loop: loop)
        let tcp = try TCPListener.bind(host: "127.0.0.1", port: 0, reusePort: false)
        tcpPort = TCPListener.boundPort(of: tcp)
        unixName = "@swiftsrs-ingest-test-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        let unix = try TCPListener.bind(unixPath: unixName, backlog: 16)
        try origin.start(listeners: [Server.Listener(ListenerSpec(address: ListenAddress(host: "127.0.0.1", port: 0), kind: .rtmp), fd: tcp),
                                     Server.Listener(ListenerSpec(address: ListenAddress(host: unixName, port: 0), kind: .rtmp), fd: unix)])
    }

    override func tearDown() {
        origin?.closeAll()
        origin?.closeListeners()
        origin = nil
        loop = nil
    }

    func run(timeoutMs: Int64, until done: @escaping () -> Bool) -> Bool { loop.run(timeoutMs: timeoutMs, until: done) }

    func testIngestOverUnixSocketFromOriginPublishedOverTCP() throws {
        let pub = FakePublisher(endpoint: .tcp(host: "127.0.0.1", port: tcpPort), loop: loop, stream: "unix")
        defer { pub.stop() }
        let local = SourceManager()
        let source = local.fetchOrCreate(StreamKey(vhost: "__defaultVhost__", app: "live", stream: "unix"), now: loop.now)
        let counter = Counter()
        source.addConsumer(counter, now: loop.now)
        var states: [StreamIngester.State] = []
        let ingester = StreamIngester(source: source, request: UpstreamRequest(vhost: "__defaultVhost__", app: "live", stream: "unix"),
                                      loop: loop) { [unixName] done in done([.unix(path: unixName)]) }
        ingester.onStateChange = { states.append($0) }
        try ingester.start()
        XCTAssertEqual(source.publisherKind, .ingester)
        XCTAssertThrowsError(try StreamIngester(source: source, request: ingester.request, loop: loop) { $0([]) }.start())
        XCTAssertTrue(run(timeoutMs: 5000) { counter.keyframes >= 2 && counter.audio >= 10 }, "video \(counter.video) audio \(counter.audio)")
        XCTAssertEqual(states, [.connecting, .ingesting])
        XCTAssertGreaterThanOrEqual(counter.data, 1, "metadata")
        XCTAssertEqual(ingester.endpoint, .unix(path: unixName))
        // The origin sees one player: the ingester.
        XCTAssertEqual(origin.connections.clientInfos().filter { $0.type == "rtmp-play" }.count, 1)
        ingester.stop()
        XCTAssertFalse(source.isPublished)
        XCTAssertEqual(states.last, .idle)
    }

    func testRefusedEndpointFailsOverAtOnceAndTimelineContinuesAfterUpstreamLoss() throws {
        let pub = FakePublisher(endpoint: .tcp(host: "127.0.0.1", port: tcpPort), loop: loop, stream: "fo", startTs: 5000)
        let dead = try deadPort()
        let local = SourceManager()
        let source = local.fetchOrCreate(StreamKey(vhost: "__defaultVhost__", app: "live", stream: "fo"), now: loop.now)
        let counter = Counter()
        source.addConsumer(counter, now: loop.now)
        var errors: [RTMPClientError] = []
        let ingester = StreamIngester(source: source, request: UpstreamRequest(vhost: "__defaultVhost__", app: "live", stream: "fo"),
                                      loop: loop) { [tcpPort] done in
            done([.tcp(host: "127.0.0.1", port: dead), .tcp(host: "127.0.0.1", port: tcpPort)])
        }
        ingester.onSessionError = { errors.append($0) }
        let started = Clock.monotonicMs()
        try ingester.start()
        XCTAssertTrue(run(timeoutMs: 5000) { counter.video >= 5 })
        XCTAssertLessThan(Clock.monotonicMs() - started, 2000)
        XCTAssertEqual(errors.count, 1)
        XCTAssertTrue(errors.first?.isRefused ?? false, "\(errors)")

        // The origin drops everyone; a new publisher restarts its clock at 0: the edge's timeline goes on.
        pub.stop()
        origin.closeAll()
        let before = counter.timestamps.last ?? 0
        let seen = counter.video
        let pub2 = FakePublisher(endpoint: .tcp(host: "127.0.0.1", port: tcpPort), loop: loop, stream: "fo", startTs: 0)
        defer { pub2.stop() }
        XCTAssertTrue(run(timeoutMs: 8000) { counter.video >= seen + 5 }, "errors: \(errors)")
        let after = Array(counter.timestamps[seen...])
        XCTAssertGreaterThan(after.first ?? 0, before, "timestamps \(before) then \(after.prefix(3))")
        XCTAssertEqual(source.publisherCID, ingester.cid, "the source stays published through the loss")
        ingester.stop()
    }

    func testRedirectIsFollowedOnce() throws {
        // A tiny server that answers every connection with SRS's RTMP 302 to the real origin.
        let redirector = try RedirectingServer(loop: loop, to: "rtmp://127.0.0.1:\(tcpPort)/live/rd")
        let pub = FakePublisher(endpoint: .tcp(host: "127.0.0.1", port: tcpPort), loop: loop, stream: "rd")
        defer { pub.stop() }
        let local = SourceManager()
        let source = local.fetchOrCreate(StreamKey(vhost: "__defaultVhost__", app: "live", stream: "rd"), now: loop.now)
        let counter = Counter()
        source.addConsumer(counter, now: loop.now)
        var errors: [RTMPClientError] = []
        let ingester = StreamIngester(source: source, request: UpstreamRequest(vhost: "__defaultVhost__", app: "live", stream: "rd"),
                                      loop: loop) { done in done([.tcp(host: "127.0.0.1", port: redirector.port)]) }
        ingester.onSessionError = { errors.append($0) }
        try ingester.start()
        XCTAssertTrue(run(timeoutMs: 5000) { counter.video >= 3 })
        XCTAssertEqual(ingester.endpoint, .tcp(host: "127.0.0.1", port: tcpPort))
        guard case .redirected(_, let url)? = errors.first else { return XCTFail("\(errors)") }
        XCTAssertEqual(url, "rtmp://127.0.0.1:\(tcpPort)/live/rd")
        ingester.stop()
    }

    /// A port nothing listens on.
    func deadPort() throws -> Int {
        let fd = try TCPListener.bind(host: "127.0.0.1", port: 0, reusePort: false)
        defer { fd.close() }
        return TCPListener.boundPort(of: fd)
    }
}

/// Accepts RTMP and answers `play` with Play.Start then SRS's redirect status (a server-role
/// `RTMPSession` behind a socket).
final class RedirectingServer {
    let listener: TCPListener
    var port: Int { listener.boundPort }
    private var sockets: [StreamSocket] = []

    init(loop: EventLoop, to url: String) throws {
        let fd = try TCPListener.bind(host: "127.0.0.1", port: 0, reusePort: false)
        listener = try TCPListener(fd: fd, host: "127.0.0.1", port: 0, loop: loop)
        listener.onAccept = { [unowned self] fd, ip, port in
            guard let s = try? StreamSocket(fd: fd, peerIP: ip, peerPort: port, loop: loop) else { return }
            sockets.append(s)
            var rtmp = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 1))
            s.onData = { bytes in
                do {
                    try rtmp.feed(bytes)
                    while let e = try rtmp.nextEvent() {
                        switch e {
                        case .connect: rtmp.acceptConnect(chunkSize: 4096, data: [])
                        case .play:
                            rtmp.acceptPlay()
                            rtmp.redirect(to: url)
                        default: break
                        }
                    }
                    s.send(rtmp.takeOutput())
                } catch {
                    s.close()
                }
            }
        }
    }
}
