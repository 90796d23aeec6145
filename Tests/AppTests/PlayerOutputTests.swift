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
}
