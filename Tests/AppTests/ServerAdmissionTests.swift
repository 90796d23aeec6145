import Glibc
import Kernel
import Protocol
import System
import XCTest
@testable import App
import Core

/// max_connections across workers, in one process: two `Server`s on one loop, each with its
/// own listener, sharing one table as two workers share the master's. Clients are plain
/// blocking sockets (a loopback connect completes in the kernel before the accept). The loop's
/// time is a `ManualClock`: connections' ages and the quota timer move when the test says.
final class ServerAdmissionTests: XCTestCase {
    var clock: ManualClock!
    var loop: EventLoop!
    var servers: [Server] = []
    var clients: [Int32] = []

    override func setUpWithError() throws {
        clock = ManualClock()
        loop = try EventLoop(clock: clock)
    }

    override func tearDown() {
        for s in servers {
            s.closeAll()
            s.closeListeners()
        }
        for fd in clients { close(fd) }
        servers = []
        loop = nil
    }

    /// A "worker" with `row` of `table`, serving RTMP on a port of its own.
    func worker(_ table: SharedCounters?, row: Int, max: Int, workers: Int = 2) throws -> (Server, Int) {
        var config = ServerConfig()
        config.maxConnections = max
        config.workerProcesses = .count(workers)
        config.vhosts = [VhostConfig(name: VhostConfig.defaultName)]
        let s = Server(config: config, loop: loop)
        if let table { s.quota = ConnectionQuota(table: table, row: row) }
        let fd = try TCPListener.bind(host: "127.0.0.1", port: 0, reusePort: false)
        let port = TCPListener.boundPort(of: fd)
        try s.start(listeners: [Server.Listener(ListenerSpec(address: ListenAddress(host: "127.0.0.1", port: port), kind: .rtmp), fd: fd)])
        servers.append(s)
        return (s, port)
    }

    func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else { close(fd); throw SystemError("connect") }
        clients.append(fd)
        return fd
    }

    /// True once the server closed `fd` (EOF or reset); reads nothing else.
    func isClosedByServer(_ fd: Int32) -> Bool {
        var buf = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
            if n > 0 { continue }
            return n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)
        }
    }

    func run(_ ms: Int64 = 3000, until cond: @escaping () -> Bool) -> Bool { loop.run(timeoutMs: ms, until: cond) }

    /// A client that plays `stream` (simple handshake, connect, createStream, play).
    func play(_ port: Int, stream: String) throws -> Int32 {
        let fd = try connect(port)
        send(fd, [3] + [UInt8](repeating: 0, count: 1536))
        var s0s1s2: [UInt8] = []
        XCTAssertTrue(run { self.read(fd, into: &s0s1s2); return s0s1s2.count >= 3073 })
        var out = Array(s0s1s2[1..<1537])
        for m in [RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
                      AMF0Property("app", .string("live")), AMF0Property("tcUrl", .string("rtmp://127.0.0.1/live"))])).message(),
                  RTMPCommand(name: "createStream", transactionID: 2).message(),
                  RTMPCommand(name: "play", transactionID: 3, arguments: [.string(stream)]).message(streamID: 1, chunkStreamID: 8)] {
            out += RTMPChunkEncoder.encode(m, chunkSize: 128)
        }
        send(fd, out)
        var reply: [UInt8] = []
        XCTAssertTrue(run { self.read(fd, into: &reply); return String(decoding: reply, as: UTF8.self).contains("NetStream.Play.Start") })
        return fd
    }

    func send(_ fd: Int32, _ bytes: [UInt8]) {
        _ = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    func read(_ fd: Int32, into out: inout [UInt8]) {
        var buf = [UInt8](repeating: 0, count: 65536)
        let n = recv(fd, &buf, buf.count, Int32(MSG_DONTWAIT))
        if n > 0 { out += buf[0..<n] }
    }

    func testOneWorkerTakesClientsBeyondItsEvenShare() throws {
        let table = try SharedCounters.anonymous(rows: 4)
        let (a, portA) = try worker(table, row: 0, max: 4)
        let (b, _) = try worker(table, row: 1, max: 4)
        XCTAssertEqual(a.connectionLimit, 2, "the even share would stop at 2")
        for _ in 0..<4 { _ = try connect(portA) }
        XCTAssertTrue(run { a.connections.clientCount == 4 })
        XCTAssertEqual(a.refusedTotal, 0)
        XCTAssertEqual(b.quota?.total, 4)
    }

    func testAtCapacityTheLongestWaitingIsEvictedAndPlayersNeverAre() throws {
        let (s, port) = try worker(nil, row: 0, max: 3, workers: 1)
        let player = try play(port, stream: "p")
        let oldest = try connect(port)
        XCTAssertTrue(run { s.connections.clientCount == 2 })
        // Ages are in loop milliseconds: make them differ.
        clock.advance(byMs: 5)
        let younger = try connect(port)
        XCTAssertTrue(run { s.connections.clientCount == 3 })
        clock.advance(byMs: 5)
        // Full: the next client takes the place of the silent connection that waited longest.
        let newcomer = try connect(port)
        XCTAssertTrue(run { s.evictedTotal == 1 && self.isClosedByServer(oldest) })
        XCTAssertEqual(s.connections.clientCount, 3)
        XCTAssertFalse(isClosedByServer(younger))
        XCTAssertFalse(isClosedByServer(newcomer))
        XCTAssertFalse(isClosedByServer(player))
        // Two more: the younger one goes, then the newcomer; the player stays.
        clock.advance(byMs: 5)
        _ = try connect(port)
        _ = try connect(port)
        XCTAssertTrue(run { s.evictedTotal == 3 && self.isClosedByServer(younger) && self.isClosedByServer(newcomer) })
        XCTAssertFalse(isClosedByServer(player))
        XCTAssertEqual(s.refusedTotal, 0)
    }

    func testRefusedOnlyWhenNobodyWaits() throws {
        let (s, port) = try worker(nil, row: 0, max: 1, workers: 1)
        let player = try play(port, stream: "p")
        let refused = try connect(port)
        XCTAssertTrue(run { s.refusedTotal == 1 && self.isClosedByServer(refused) })
        XCTAssertFalse(isClosedByServer(player))
    }

    func testAFullWorkerAsksAnotherToEvictItsLongestWaiting() throws {
        let table = try SharedCounters.anonymous(rows: 4)
        let (a, portA) = try worker(table, row: 0, max: 3)
        let (b, portB) = try worker(table, row: 1, max: 3)
        // B serves a player; A holds two silent connections: the server is full.
        let player = try play(portB, stream: "p")
        let first = try connect(portA)
        XCTAssertTrue(run { a.connections.clientCount == 1 })
        clock.advance(byMs: 5)
        let second = try connect(portA)
        XCTAssertTrue(run { a.connections.clientCount == 2 && b.connections.clientCount == 1 })
        // A publishes how many it could evict (every 100 ms).
        clock.advance(byMs: Server.quotaPeriodMs)
        XCTAssertTrue(run { table.load(0, ConnectionTable.Field.waiting) == 2 })
        // A client lands on B, which has nobody to evict: it asks A, and admits its client.
        let newcomer = try connect(portB)
        XCTAssertTrue(run { b.connections.clientCount == 2 })
        XCTAssertEqual(a.evictedTotal, 0, "A serves requests every 100 ms")
        // A evicts its longest waiting at its next look.
        clock.advance(byMs: Server.quotaPeriodMs)
        XCTAssertTrue(run { a.evictedTotal == 1 && self.isClosedByServer(first) })
        XCTAssertEqual(a.connections.clientCount, 1)
        XCTAssertEqual(a.quota?.total, 3)
        XCTAssertEqual(b.refusedTotal, 0)
        for fd in [second, newcomer, player] { XCTAssertFalse(isClosedByServer(fd)) }
    }
}
