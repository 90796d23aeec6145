import Glibc
import Protocol
import System
import XCTest
@testable import App
import Core

/// In-process: an origin and an edge `Server` on one loop, clients made of `RTMPClientSession`.
final class ClusterServiceTests: XCTestCase {
    var loop: EventLoop!
    var servers: [Server] = []

    override func setUpWithError() throws {
        loop = try EventLoop()
    }

    override func tearDown() {
        for s in servers {
            s.closeAll()
            s.closeListeners()
        }
        servers = []
        loop = nil
    }

    /// Starts a server with `vhosts` on a loopback port; returns it and its port.
    func server(_ vhosts: [VhostConfig]) throws -> (Server, Int) {
        var config = ServerConfig()
        config.vhosts = vhosts
        let s = Server(config: config, loop: loop)
        let fd = try TCPListener.bind(host: "127.0.0.1", port: 0, reusePort: false)
        let port = TCPListener.boundPort(of: fd)
        try s.start(listeners: [Server.Listener(ListenerSpec(address: ListenAddress(host: "127.0.0.1", port: port), kind: .rtmp), fd: fd)])
        servers.append(s)
        return (s, port)
    }

    func edgeVhost(origin port: Int, tokenTraverse: Bool = false) -> VhostConfig {
        var v = VhostConfig(name: VhostConfig.defaultName)
        v.cluster.mode = .remote
        v.cluster.origins = [HostPort(host: "127.0.0.1", port: port)]
        v.cluster.tokenTraverse = tokenTraverse
        return v
    }

    func run(timeoutMs: Int64, until done: @escaping () -> Bool) -> Bool { loop.run(timeoutMs: timeoutMs, until: done) }

    /// The first player starts the pull, a second shares it, the pull stops with the last one.
    func testPlayEdgeLifecycle() throws {
        let (_, originPort) = try server([VhostConfig(name: VhostConfig.defaultName)])
        let (edge, edgePort) = try server([edgeVhost(origin: originPort)])
        let pub = StreamIngesterTests.FakePublisher(endpoint: .tcp(host: "127.0.0.1", port: originPort), loop: loop, stream: "e")
        defer { pub.stop() }
        var got = [0, 0]
        var players: [RTMPClientSession] = []
        for i in 0..<2 {
            let p = RTMPClientSession(endpoint: .tcp(host: "127.0.0.1", port: edgePort),
                                      request: UpstreamRequest(vhost: VhostConfig.defaultName, app: "live", stream: "e"), mode: .play, loop: loop)
            p.onMessage = { if $0.type == RTMPMessageType.video { got[i] += 1 } }
            p.start()
            players.append(p)
        }
        XCTAssertTrue(run(timeoutMs: 5000) { got[0] >= 5 && got[1] >= 5 }, "\(got)")
        XCTAssertEqual(edge.cluster.pullCount, 1)
        let key = StreamKey(vhost: VhostConfig.defaultName, app: "live", stream: "e")
        XCTAssertEqual(edge.cluster.playEdge(key)?.state, .ingestConnected)
        XCTAssertEqual(edge.sources.find(key)?.publisherKind, .ingester)
        players[0].close()
        XCTAssertTrue(run(timeoutMs: 2000) { edge.sources.sources[key]?.consumerCount == 1 })
        XCTAssertEqual(edge.cluster.pullCount, 1, "one player left, the pull goes on")
        players[1].close()
        XCTAssertTrue(run(timeoutMs: 2000) { edge.cluster.pullCount == 0 })
        XCTAssertEqual(edge.sources.sources[key]?.isPublished, false)
    }

    /// token_traverse: the edge answers `connect` only after the origin accepted the client's tcUrl.
    func testTokenTraverseAsksTheOriginBeforeAnsweringConnect() throws {
        let (_, originPort) = try server([VhostConfig(name: "good.com")])
        let (_, edgePort) = try server([edgeVhost(origin: originPort, tokenTraverse: true)])
        var outcome: [String: String] = [:]
        var sessions: [RTMPClientSession] = []
        for host in ["good.com", "bad.com"] {
            let s = RTMPClientSession(endpoint: .tcp(host: "127.0.0.1", port: edgePort),
                                      request: UpstreamRequest(vhost: host, app: "live", stream: "s"), mode: .connectOnly, loop: loop)
            s.onReady = { outcome[host] = "accepted" }
            s.onClose = { outcome[host] = "\($0)" }
            s.start()
            sessions.append(s)
        }
        XCTAssertTrue(run(timeoutMs: 5000) { outcome.count == 2 }, "\(outcome)")
        XCTAssertEqual(outcome["good.com"], "accepted")
        XCTAssertTrue(outcome["bad.com"]?.contains("NetConnection.Connect.Rejected") ?? false, "\(outcome)")
        sessions.forEach { $0.close() }
    }

    /// A second publisher of a stream the edge already forwards is refused; the first one reaches the origin.
    func testPublishEdgeRefusesASecondPublisher() throws {
        let (origin, originPort) = try server([VhostConfig(name: VhostConfig.defaultName)])
        let (edge, edgePort) = try server([edgeVhost(origin: originPort)])
        let first = StreamIngesterTests.FakePublisher(endpoint: .tcp(host: "127.0.0.1", port: edgePort), loop: loop, stream: "p")
        defer { first.stop() }
        let key = StreamKey(vhost: VhostConfig.defaultName, app: "live", stream: "p")
        XCTAssertTrue(run(timeoutMs: 5000) { (origin.sources.sources[key]?.frames ?? 0) >= 5 })
        XCTAssertEqual(edge.cluster.pushCount, 1)
        var refused: RTMPClientError?
        let second = RTMPClientSession(endpoint: .tcp(host: "127.0.0.1", port: edgePort),
                                       request: UpstreamRequest(vhost: VhostConfig.defaultName, app: "live", stream: "p"), mode: .publish, loop: loop)
        second.onClose = { refused = $0 }
        second.start()
        XCTAssertTrue(run(timeoutMs: 3000) { refused != nil })
        guard case .rejected(_, let code, _)? = refused else { return XCTFail("\(String(describing: refused))") }
        XCTAssertEqual(code, "NetStream.Publish.BadName")
        XCTAssertEqual(origin.sources.sources[key]?.isPublished, true)
        first.stop()
        XCTAssertTrue(run(timeoutMs: 3000) { edge.cluster.pushCount == 0 && origin.sources.sources[key]?.isPublished == false })
    }
}
