import XCTest
@testable import System

final class EventLoopTests: XCTestCase {
    func testTimersFireInOrderAndCancelledOnesDoNot() throws {
        let loop = try EventLoop()
        var fired: [Int] = []
        loop.schedule(afterMs: 30) { fired.append(3) }
        loop.schedule(afterMs: 10) { fired.append(1) }
        let cancelled = loop.schedule(afterMs: 20) { fired.append(2) }
        loop.cancel(cancelled)
        loop.schedule(afterMs: 50) { loop.stop() }
        loop.run()
        XCTAssertEqual(fired, [1, 3])
    }

    func testTimerCancelledByAnEarlierTimerInTheSameRoundDoesNotRun() throws {
        let loop = try EventLoop()
        var ran = false
        var second = TimerID(raw: 0)
        loop.schedule(afterMs: 5) { loop.cancel(second) }
        second = loop.schedule(afterMs: 5) { ran = true }
        loop.schedule(afterMs: 30) { loop.stop() }
        loop.run()
        XCTAssertFalse(ran)
    }

    func testSocketPairEchoThroughStreamSockets() throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds), 0)
        let a = try StreamSocket(fd: FileDescriptor(adopting: fds[0]), peerIP: "a", peerPort: 0, loop: loop)
        let b = try StreamSocket(fd: FileDescriptor(adopting: fds[1]), peerIP: "b", peerPort: 0, loop: loop)
        var got: [UInt8] = []
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0) }
        b.onData = { got += $0; if got.count >= payload.count { loop.stop() } }
        a.send(payload)
        loop.schedule(afterMs: 5000) { loop.stop() }
        loop.run()
        XCTAssertEqual(got, payload)
        var closed = false
        b.onClose = { _ in closed = true; loop.stop() }
        a.close()
        loop.schedule(afterMs: 2000) { loop.stop() }
        loop.run()
        XCTAssertTrue(closed)
    }

    func testDropUnsentKeepsPartlyWrittenBuffer() throws {
        let loop = try EventLoop()
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds), 0)
        let a = try StreamSocket(fd: FileDescriptor(adopting: fds[0]), peerIP: "a", peerPort: 0, loop: loop)
        defer { close(fds[1]) }
        // Fill the socket until writes block, then queue more and drop it.
        for _ in 0..<64 { a.send([UInt8](repeating: 1, count: 65536)) }
        a.flush()
        XCTAssertGreaterThan(a.pendingBytes, 0)
        let before = a.pendingBytes
        let dropped = a.dropUnsent()
        XCTAssertGreaterThan(dropped, 0)
        XCTAssertEqual(a.pendingBytes, before - dropped)
        XCTAssertLessThan(a.pendingBytes, 65536, "at most one partly written buffer is kept")
    }
}
