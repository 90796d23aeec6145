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

    /// SRS's merged writes: a player's messages go out once `mw_msgs` of them wait, or
    /// `mw_latency` after the first one waiting (on a `ManualClock`: no waiting here).
    func testMergedWritesWaitForEnoughMessagesOrTheLatency() throws {
        let clock = ManualClock()
        let loop = try EventLoop(clock: clock)
        let (socket, peer) = try makeSocket(loop)
        defer { close(peer) }
        var play = PlayConfig()
        play.mwMsgs = 4
        play.mwLatencyMs = 350
        let out = PlayerOutput(socket: socket, loop: loop, cid: "t", play: play)
        func send(_ n: Int) { for _ in 0..<n { out.deliver(video(40, key: false, size: 10), SharedBytes([1])) } }
        send(3)
        loop.runOnce()
        XCTAssertEqual(socket.bytesWritten, 0, "3 of 4 messages: they wait")
        clock.advance(byMs: 349)
        loop.runOnce()
        XCTAssertEqual(socket.bytesWritten, 0)
        clock.advance(byMs: 1)
        loop.runOnce()
        XCTAssertEqual(socket.bytesWritten, 3, "mw_latency after the first")
        send(4)
        loop.runOnce()
        XCTAssertEqual(socket.bytesWritten, 7, "mw_msgs reached: written at once")
        send(1)
        clock.advance(byMs: 200)
        loop.runOnce()
        send(3)
        loop.runOnce()
        XCTAssertEqual(socket.bytesWritten, 11, "the count restarts after each write")
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
