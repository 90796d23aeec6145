import XCTest
import Kernel
import Protocol
@testable import App
import Core
@testable import System

final class PlayerOutputTests: XCTestCase {
    /// A player socket whose peer never reads (socketpair with tiny buffers).
    func makeSocket(_ loop: EventLoop) throws -> (StreamSocket, Int32) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds), 0)
        var small: Int32 = 4096
        setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        return (try StreamSocket(fd: FileDescriptor(adopting: fds[0]), peerIP: "p", peerPort: 0, loop: loop), fds[1])
    }

    func video(_ ts: UInt32, key: Bool, header: Bool = false, size: Int = 1000) -> MediaMessage {
        MediaMessage(type: RTMPMessageType.video, timestamp: ts,
                     payload: [key ? 0x17 : 0x27, header ? 0 : 1, 0, 0, 0] + [UInt8](repeating: 9, count: size))
    }

    /// SRS's merged writes: a player's messages go out once more than `mw_msgs` of them wait
    /// and they span more than `mw_latency` of media (on a `ManualClock`: no waiting here).
    func testMergedWritesWaitForMoreThanMwMsgsAndMoreThanMwLatency() throws {
        let clock = ManualClock()
        let loop = try EventLoop(clock: clock)
        let (socket, peer) = try makeSocket(loop)
        defer { close(peer) }
        var play = PlayConfig()
        play.mwMsgs = 4
        play.mwLatencyMs = 350
        let out = PlayerOutput(socket: socket, loop: loop, cid: "t", play: play)
        var ts: UInt32 = 1000
        func send(_ n: Int, step: UInt32) {
            for _ in 0..<n {
                out.deliver(video(ts, key: false, size: 10), SharedBytes([1]))
                ts += step
            }
            loop.runOnce()
        }
        send(20, step: 0)
        XCTAssertEqual(socket.bytesWritten, 0, "20 messages, no media span: they wait")
        send(1, step: 0)
        ts += 351
        send(1, step: 0)
        XCTAssertEqual(socket.bytesWritten, 22, "more than 4 and past 350 ms: written")
        send(4, step: 100)
        XCTAssertEqual(socket.bytesWritten, 22, "4 messages over 300 ms: not enough of either")
        send(1, step: 100)
        XCTAssertEqual(socket.bytesWritten, 27, "a 5th message 400 ms after the last write")
    }

    /// A stream too slow for the rule (1 fps) is written after the fallback (2 x mw_latency of
    /// wall-clock time), not after 9 s as SRS would.
    func testAFewSlowMessagesGoOutAfterTheFallback() throws {
        let clock = ManualClock()
        let loop = try EventLoop(clock: clock)
        let (socket, peer) = try makeSocket(loop)
        defer { close(peer) }
        var play = PlayConfig()
        play.mwLatencyMs = 350
        let out = PlayerOutput(socket: socket, loop: loop, cid: "t", play: play)
        out.deliver(video(1000, key: true, size: 10), SharedBytes([1]))
        loop.runOnce()
        clock.advance(byMs: 699)
        loop.runOnce()
        XCTAssertEqual(socket.bytesWritten, 0)
        clock.advance(byMs: 1)
        loop.runOnce()
        XCTAssertEqual(socket.bytesWritten, 1, "written 700 ms after it was queued")
        // The next one queued 300 ms later waits its own full fallback, not the rest of the old timer.
        clock.advance(byMs: 300)
        out.deliver(video(2000, key: false, size: 10), SharedBytes([2]))
        loop.runOnce()
        clock.advance(byMs: 690)
        loop.runOnce()
        XCTAssertEqual(socket.bytesWritten, 1)
        clock.advance(byMs: 10)
        loop.runOnce()
        XCTAssertEqual(socket.bytesWritten, 2)
    }

    /// `mw_msgs 0; mw_latency 0;`: every message goes out in the loop iteration it came in.
    func testNoMergingWritesEveryMessageAtOnce() throws {
        let loop = try EventLoop(clock: ManualClock())
        let (socket, peer) = try makeSocket(loop)
        defer { close(peer) }
        var play = PlayConfig()
        play.mwMsgs = 0
        play.mwLatencyMs = 0
        let out = PlayerOutput(socket: socket, loop: loop, cid: "t", play: play)
        for i in 0..<5 {
            out.deliver(video(1000, key: i == 0, size: 10), SharedBytes([1]))
            loop.runOnce()
            XCTAssertEqual(socket.bytesWritten, UInt64(i + 1))
        }
    }

    func testLateJoinerWithOldHeadersIsNotDropped() throws {
        let loop = try EventLoop()
        let (socket, peer) = try makeSocket(loop)
        defer { close(peer) }
        var play = PlayConfig()
        play.queueLength = 2
        let out = PlayerOutput(socket: socket, loop: loop, cid: "t", play: play)
        // The join burst: headers from the publish start (ts 0), then a GOP 60 s later.
        out.deliver(video(0, key: true, header: true), SharedBytes([1, 2, 3]))
        for i in 0..<25 { out.deliver(video(60_000 + UInt32(i) * 40, key: i == 0), SharedBytes([UInt8](repeating: 5, count: 1000))) }
        XCTAssertEqual(socket.bytesDropped, 0, "a GOP of 1 s fits a 2 s queue; the headers' old timestamp does not count")
    }

    func testAfterADropTheHeadersComeAgainBeforeTheKeyframe() throws {
        let loop = try EventLoop()
        let (socket, peer) = try makeSocket(loop)
        defer { close(peer) }
        var play = PlayConfig()
        play.queueLength = 1
        play.mwMsgs = 0
        let out = PlayerOutput(socket: socket, loop: loop, cid: "t", play: play)
        let header = SharedBytes([0xAA, 0xBB])
        out.deliver(video(0, key: true, header: true), header)
        // Media the peer never reads, one keyframe then P-frames: the queue overflows and is dropped.
        var ts: UInt32 = 0
        while socket.bytesDropped == 0 && ts < 10_000 {
            out.deliver(video(ts, key: ts == 0), SharedBytes([UInt8](repeating: 5, count: 2000)))
            ts += 40
        }
        XCTAssertGreaterThan(socket.bytesDropped, 0)
        let queuedBefore = socket.bytesQueued
        out.deliver(video(ts, key: false), SharedBytes([7]))
        XCTAssertEqual(socket.bytesQueued, queuedBefore, "while waiting for a keyframe, other frames are skipped")
        out.deliver(video(ts + 40, key: true), SharedBytes([8, 8, 8]))
        XCTAssertEqual(socket.bytesQueued - queuedBefore, 2 + 3, "the header again, then the keyframe")
    }

    /// SRS's `tcp_nodelay` (vhost, default off): a player's socket has TCP_NODELAY as configured
    /// (the listener sets it on every connection, for quick answers to commands).
    func testPlayerSocketFollowsTCPNoDelay() throws {
        let loop = try EventLoop(clock: ManualClock())
        for wanted in [false, true] {
            let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(listener) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            XCTAssertEqual(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, len) } }, 0)
            XCTAssertEqual(listen(listener, 1), 0)
            XCTAssertEqual(withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) } }, 0)
            let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(client) }
            XCTAssertEqual(withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(client, $0, len) } }, 0)
            let fd = accept(listener, nil, nil)
            XCTAssertGreaterThanOrEqual(fd, 0)
            var on: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
            let s = try StreamSocket(fd: FileDescriptor(adopting: fd), peerIP: "127.0.0.1", peerPort: 0, loop: loop)
            var play = PlayConfig()
            play.tcpNoDelay = wanted
            let out = PlayerOutput(socket: s, loop: loop, cid: "t", play: play)
            defer { s.close() }
            func noDelay() -> Bool {
                var v: Int32 = -1
                var vlen = socklen_t(MemoryLayout<Int32>.size)
                XCTAssertEqual(getsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &v, &vlen), 0)
                return v != 0
            }
            // Nothing but headers yet (an edge that starts pulling when its first player comes):
            // TCP_NODELAY stays on until media went out.
            out.deliver(video(0, key: true, header: true), SharedBytes([9]))
            out.flushStart()
            XCTAssertTrue(noDelay())
            // The start of the stream goes out with TCP_NODELAY still on (no wait for an ACK)...
            out.deliver(video(1000, key: true), SharedBytes([1, 2, 3]))
            XCTAssertTrue(noDelay())
            out.flushStart()
            XCTAssertEqual(s.bytesWritten, 4, "the start is written at once, not at the end of the iteration")
            // ... then the socket follows tcp_nodelay.
            XCTAssertEqual(noDelay(), wanted, "tcp_nodelay \(wanted ? "on" : "off")")
        }
    }

    /// The queue bound by media duration: only what is unsent counts, and a player in step
    /// never holds more than the message it was just given.
    func testPlayQueueMeterCountsOnlyUnsentMedia() {
        var m = PlayQueueMeter(queueLengthSeconds: 2, maxBytes: 1000)
        // In step: each message is written before the next.
        var end: UInt64 = 0
        for i in 0..<100 {
            end += 10
            XCTAssertFalse(m.record(timestamp: UInt32(i * 1000), endOffset: end, done: end - 10, pendingBytes: 10))
        }
        // Stalled: nothing more goes out; 2 s of media is fine, more is not.
        let done = end
        for i in 100..<103 {
            end += 10
            XCTAssertFalse(m.record(timestamp: UInt32(i * 1000), endOffset: end, done: done, pendingBytes: Int(end - done)), "\(i)")
        }
        end += 10
        XCTAssertTrue(m.record(timestamp: 103_000, endOffset: end, done: done, pendingBytes: Int(end - done)), "3 s unsent > 2 s")
        // Part of the backlog went out: the oldest unsent is now 102 s.
        XCTAssertFalse(m.record(timestamp: 103_500, endOffset: end + 10, done: done + 20, pendingBytes: Int(end + 10 - done - 20)))
        // The bytes bound alone.
        m.reset()
        XCTAssertTrue(m.record(timestamp: 0, endOffset: 2000, done: 0, pendingBytes: 2000))
    }
}
