import XCTest
@testable import System

final class EventLoopTests: XCTestCase {
    /// `run()` on the real clock ends with its timers (the timer tests themselves use a
    /// `ManualClock`, see `EventLoopTimerTests`).
    func testRunWaitsForTheNextTimerOnTheMonotonicClock() throws {
        let loop = try EventLoop()
        var fired: [Int] = []
        loop.schedule(afterMs: 20) { fired.append(2) }
        loop.schedule(afterMs: 10) { fired.append(1) }
        loop.schedule(afterMs: 30) { loop.stop() }
        let start = Clock.monotonicMs()
        loop.run()
        XCTAssertEqual(fired, [1, 2])
        XCTAssertGreaterThanOrEqual(Clock.monotonicMs() - start, 30)
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
