import Foundation
import Protocol
import System
import XCTest

/// Can workers share the SRT port with SO_REUSEPORT? libsrt's listener does the whole
/// handshake (induction, conclusion) on the listening UDP socket and the accepted connection
/// keeps using it: every datagram of a connection is steered by the kernel's hash of its
/// 4-tuple, which is the same from the first handshake packet to the last data packet. These
/// tests run two (then three) `srt-harness` processes on one port with many connections.
final class SRTReusePortTests: XCTestCase {
    private func connect(_ count: Int, port: Int, peerIdleTimeoutMs: Int32 = 10_000) throws -> [SRTTestClient] {
        try (0..<count).map { try SRTTestClient(port: port, streamID: "#!::r=live/c\($0),m=publish", peerIdleTimeoutMs: peerIdleTimeoutMs) }
    }

    private func send(_ clients: [SRTTestClient], seconds: Double) {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            for c in clients { c.sendMessage() }
            usleep(50_000)
        }
    }

    /// (stream id → bytes) of the connections a harness still held when it finished.
    private func openBytes(_ h: HarnessProcess) -> [String: Int64] {
        var out: [String: Int64] = [:]
        for e in h.events("open") {
            if let id = e["streamid"]?.stringValue, let bytes = e["bytes"]?.intValue { out[id] = bytes }
        }
        return out
    }

    func testTwoProcessesOnOnePortEachKeepTheirConnections() throws {
        let port = FreeUDPPort.next()
        let a = try HarnessProcess(port: port, args: ["--reuseport", "--seconds", "30"])
        let b = try HarnessProcess(port: port, args: ["--reuseport", "--seconds", "30"])
        let clients = try connect(40, port: port)
        send(clients, seconds: 3)
        // libsrt delivers after its 120 ms latency.
        usleep(500_000)
        XCTAssertTrue(clients.allSatisfy(\.isConnected))
        XCTAssertEqual(clients.map(\.sendFailures).reduce(0, +), 0)
        _ = a.finish()
        _ = b.finish()

        let onA = openBytes(a)
        let onB = openBytes(b)
        XCTAssertEqual(a.events("accept").count, onA.count, "no connection of A ended early")
        XCTAssertEqual(b.events("accept").count, onB.count, "no connection of B ended early")
        XCTAssertGreaterThan(onA.count, 0, "the kernel spreads connections over both")
        XCTAssertGreaterThan(onB.count, 0, "the kernel spreads connections over both")
        XCTAssertTrue(Set(onA.keys).isDisjoint(with: onB.keys), "a connection lives in one process")
        XCTAssertEqual(onA.count + onB.count, clients.count, "every handshake completed in one process")
        for c in clients {
            XCTAssertEqual(onA[c.streamID] ?? onB[c.streamID], Int64(c.bytesSent), "\(c.streamID): all its data reached its process")
        }
        print("SRTReusePort: 40 connections on one port: \(onA.count) in process A, \(onB.count) in process B, none lost")
    }

    /// The limit: the kernel picks `hash % sockets`, so a socket joining the group (a worker
    /// added, a new generation during a hot upgrade) moves about half of the connections to a
    /// process that does not know them: their data is lost from then on, and they break.
    func testAThirdProcessJoiningMovesConnections() throws {
        let port = FreeUDPPort.next()
        let args = ["--reuseport", "--seconds", "60", "--peer-idle-ms", "2000"]
        let a = try HarnessProcess(port: port, args: args)
        let b = try HarnessProcess(port: port, args: args)
        let clients = try connect(40, port: port, peerIdleTimeoutMs: 2000)
        send(clients, seconds: 1)
        usleep(500_000)
        let before = Dictionary(uniqueKeysWithValues: clients.map { ($0.streamID, Int64($0.bytesSent)) })
        XCTAssertTrue(clients.allSatisfy(\.isConnected))
        let joined = monotonicMs()
        let c = try HarnessProcess(port: port, args: args)
        // Long enough for libsrt to give up on connections that hear nothing (its peer-idle
        // check also waits for 16 expirations of its response timer: more than the 2 s asked).
        send(clients, seconds: 12)
        usleep(500_000)
        _ = a.finish()
        _ = b.finish()
        _ = c.finish()

        var delivered: [String: Int64] = [:]
        var closes: [JSONValue] = []
        for h in [a, b] {
            closes += h.events("close")
            for e in h.events("open") + h.events("close") {
                if let id = e["streamid"]?.stringValue, let bytes = e["bytes"]?.intValue { delivered[id, default: 0] += bytes }
            }
        }
        // A moved connection got nothing after the join; one that stayed got everything.
        let moved = clients.filter { delivered[$0.streamID, default: 0] <= before[$0.streamID, default: 0] }
        let stayed = clients.filter { delivered[$0.streamID, default: 0] == Int64($0.bytesSent) }
        let closedAfter = closes.compactMap { $0["mono_ms"]?.intValue }.max().map { Double($0 - joined) / 1000 }
        XCTAssertEqual(c.events("accept").count, 0, "moved data packets are not handshakes: the newcomer accepts nothing")
        XCTAssertGreaterThan(moved.count, 0, "some connections moved to another socket")
        XCTAssertGreaterThan(stayed.count, 0, "some connections kept their socket")
        XCTAssertEqual(moved.count + stayed.count, clients.count, "a connection moved entirely or not at all")
        XCTAssertEqual(Set(closes.compactMap { $0["streamid"]?.stringValue }), Set(moved.map(\.streamID)),
                       "the servers closed exactly the moved connections")
        print("SRTReusePort: a third process joined: \(moved.count) of 40 connections moved (their data lost from then on), "
              + "\(stayed.count) stayed whole; the servers closed the moved ones by "
              + "\(closedAfter.map { String(format: "%.1f", $0) } ?? "-") s after the join")
    }

    /// The design that follows (docs/srt.md): the master binds one socket per worker slot and
    /// keeps it; a worker that dies is replaced by one on the same socket. The group does not
    /// change, so the other workers' connections are untouched; the dead worker's break.
    func testARespawnOnTheSameSocketLeavesTheOtherConnectionsAlone() throws {
        let port = FreeUDPPort.next()
        let slots = try (0..<2).map { _ in try UDPSocket.bind(host: "127.0.0.1", port: port, reusePort: true) }
        defer { slots.forEach(UDPSocket.close) }
        let args = ["--seconds", "60", "--peer-idle-ms", "2000"]
        let a = try HarnessProcess(udpFD: slots[0], args: args)
        let b = try HarnessProcess(udpFD: slots[1], args: args)
        let clients = try connect(40, port: port, peerIdleTimeoutMs: 2000)
        send(clients, seconds: 1)
        usleep(500_000)
        let onA = Set(a.events("accept").compactMap { $0["streamid"]?.stringValue })
        let onB = Set(b.events("accept").compactMap { $0["streamid"]?.stringValue })
        XCTAssertEqual(onA.count + onB.count, clients.count)
        XCTAssertFalse(onA.isEmpty)
        XCTAssertFalse(onB.isEmpty)

        a.crash()
        let respawned = try HarnessProcess(udpFD: slots[0], args: args)
        send(clients, seconds: 8)
        usleep(500_000)
        // New publishers get in, on either process.
        let late = try (0..<10).map { try SRTTestClient(port: port, streamID: "#!::r=live/late\($0),m=publish") }
        send(late, seconds: 1)
        XCTAssertTrue(late.allSatisfy(\.isConnected))
        _ = b.finish()
        _ = respawned.finish()

        var onBAtEnd: [String: Int64] = [:]
        for e in b.events("open") {
            if let id = e["streamid"]?.stringValue, let bytes = e["bytes"]?.intValue { onBAtEnd[id] = bytes }
        }
        XCTAssertEqual(b.events("close").count, 0, "no connection of B broke")
        for c in clients where onB.contains(c.streamID) {
            XCTAssertEqual(onBAtEnd[c.streamID], Int64(c.bytesSent), "\(c.streamID) on B got all its data")
        }
        let brokenA = clients.filter { onA.contains($0.streamID) && !$0.isConnected }.count
        XCTAssertEqual(brokenA, onA.count, "the crashed process's connections broke")
        let lateAccepted = respawned.events("accept").count + b.events("accept").count - onB.count
        XCTAssertEqual(lateAccepted, late.count, "new connections are accepted by both processes")
        print("SRTReusePort: a crashed process replaced on its socket: \(onB.count) connections of the other process untouched, "
              + "\(brokenA) of the crashed one broke, \(late.count) new ones accepted (\(respawned.events("accept").count) by the replacement)")
    }

    private func monotonicMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}
