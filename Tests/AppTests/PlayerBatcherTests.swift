import XCTest
import Kernel
import Protocol
@testable import App
import Core
@testable import System

/// Players of one source share their merged writes (`PlayerBatcher`): the source cuts batches by
/// SRS's rule once, every player in step gets the same buffer, a late joiner only what it lacks.
final class PlayerBatcherTests: XCTestCase {
    /// A player: its output writes to one end of a socketpair; the test reads the other end.
    final class Player: LiveConsumer {
        let socket: StreamSocket
        let peer: Int32
        let output: PlayerOutput
        var unpublishedAtBytes: UInt64?

        init(loop: EventLoop, play: PlayConfig, sendBuffer: Int32? = nil) throws {
            var fds: [Int32] = [0, 0]
            XCTAssertEqual(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &fds), 0)
            if var size = sendBuffer { setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
            socket = try StreamSocket(fd: FileDescriptor(adopting: fds[0]), peerIP: "p", peerPort: 0, loop: loop)
            peer = fds[1]
            output = PlayerOutput(socket: socket, loop: loop, cid: "t", play: play)
        }

        deinit { close(peer) }

        func deliver(_ m: MediaMessage) { output.deliver(m, m.flvChunk()) }
        func sourceUnpublished() { unpublishedAtBytes = socket.bytesQueued }

        /// Everything the player was sent so far.
        func read() -> [UInt8] {
            var out: [UInt8] = []
            var buf = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buf.withUnsafeMutableBytes { recv(peer, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
                if n <= 0 { return out }
                out += buf[0..<n]
            }
        }
    }

    let key = PlayerBatchKey(format: .flv, mwMsgs: 8, mwLatencyMs: 350)

    /// A loop on a manual clock and a source with its publisher.
    func publishedSource() throws -> (EventLoop, LiveSource) {
        let loop = try EventLoop(clock: ManualClock())
        let source = LiveSource(key: StreamKey(vhost: "v", app: "live", stream: "s"), now: 0)
        XCTAssertTrue(source.publish(cid: "pub", now: 0))
        return (loop, source)
    }

    func playConfig(mwMsgs: Int, mwLatencyMs: Int) -> PlayConfig {
        var play = PlayConfig()
        play.mwMsgs = mwMsgs
        play.mwLatencyMs = mwLatencyMs
        return play
    }

    func frame(_ ts: UInt32, key: Bool = false) -> MediaMessage {
        MediaMessage(type: RTMPMessageType.video, timestamp: ts, payload: [key ? 0x17 : 0x27, 1, 0, 0, 0, UInt8(ts % 251)])
    }

    /// What a player should have got: the FLV chunks of `messages`, in order.
    func expected(_ messages: [MediaMessage]) -> [UInt8] {
        messages.flatMap { Array($0.flvChunk().bytes) }
    }

    func testPlayersInStepShareOneBufferAndALateJoinerGetsOnlyWhatItLacks() throws {
        let (loop, source) = try publishedSource()
        let play = playConfig(mwMsgs: 8, mwLatencyMs: 350)
        let a = try Player(loop: loop, play: play)
        source.addPlayer(a, output: a.output, key: key, now: 0)
        var sent: [MediaMessage] = []
        func publish(_ n: Int) {
            for _ in 0..<n {
                let m = frame(UInt32(sent.count * 40 + 1000), key: sent.count % 25 == 0)
                sent.append(m)
                source.onMessage(m)
            }
            loop.runOnce()
        }
        publish(5)
        // b joins now: the GOP cache gives it the 5 frames at once.
        let b = try Player(loop: loop, play: play)
        source.addPlayer(b, output: b.output, key: key, now: 0)
        b.output.flush()
        loop.runOnce()
        XCTAssertEqual(b.read(), expected(sent), "the cached start at once")
        XCTAssertEqual(a.read(), [], "a waits: 5 messages over 160 ms")
        publish(4)
        XCTAssertEqual(a.read(), [], "9 messages over 320 ms: they wait")
        publish(1)
        XCTAssertEqual(a.read(), expected(sent), "10 messages (more than 8) over 360 ms (more than 350): one write")
        XCTAssertEqual(b.read(), expected(Array(sent[5...])), "b gets only what came after its start")
        let queuedA = a.socket.bytesQueued, queuedB = b.socket.bytesQueued
        publish(8)
        XCTAssertEqual(a.read(), [], "8 messages: not more than 8")
        publish(1)
        XCTAssertEqual(a.read(), expected(Array(sent[10...])))
        XCTAssertEqual(b.read(), expected(Array(sent[10...])))
        XCTAssertEqual(a.socket.bytesQueued - queuedA, b.socket.bytesQueued - queuedB)
        XCTAssertEqual(source.consumerCount, 2)

        // The publisher leaves: the players get the tail before they are told.
        publish(2)
        source.unpublish(now: 0)
        XCTAssertEqual(a.unpublishedAtBytes, a.socket.bytesQueued, "the tail was queued before the notice")
        loop.runOnce()
        XCTAssertEqual(a.read(), expected(Array(sent[19...])))
        source.removeConsumer(a, now: 0)
        source.removeConsumer(b, now: 0)
        XCTAssertEqual(source.consumerCount, 0)
        XCTAssertTrue(source.isIdle)
    }

    func testAStreamTooSlowForTheRuleIsWrittenByTheFallback() throws {
        let clock = ManualClock()
        let loop = try EventLoop(clock: clock)
        let source = LiveSource(key: StreamKey(vhost: "v", app: "live", stream: "s"), now: 0)
        XCTAssertTrue(source.publish(cid: "pub", now: 0))
        let a = try Player(loop: loop, play: PlayConfig())
        source.addPlayer(a, output: a.output, key: key, now: 0)
        let m = frame(1000, key: true)
        source.onMessage(m)
        loop.runOnce()
        clock.advance(byMs: 699)
        loop.runOnce()
        XCTAssertEqual(a.read(), [])
        clock.advance(byMs: 1)
        loop.runOnce()
        loop.runOnce()
        XCTAssertEqual(a.read(), expected([m]))
    }

    /// A player that does not read falls behind alone: its queue is dropped and it resumes at a
    /// keyframe (message by message), while the other goes on getting every batch.
    func testASlowPlayerDropsAloneAndResumesAtAKeyframe() throws {
        let (loop, source) = try publishedSource()
        var play = PlayConfig()
        play.queueLength = 1
        let fast = try Player(loop: loop, play: play)
        let slow = try Player(loop: loop, play: play, sendBuffer: 4096)
        source.addPlayer(fast, output: fast.output, key: key, now: 0)
        source.addPlayer(slow, output: slow.output, key: key, now: 0)
        var got: [UInt8] = []
        var sent: [MediaMessage] = []
        for i in 0..<300 {
            let m = MediaMessage(type: RTMPMessageType.video, timestamp: UInt32(1000 + i * 40),
                                 payload: [i % 50 == 0 ? 0x17 : 0x27, 1, 0, 0, 0] + [UInt8](repeating: 7, count: 3000))
            sent.append(m)
            source.onMessage(m)
            loop.runOnce()
            got += fast.read()
        }
        XCTAssertGreaterThan(slow.socket.bytesDropped, 0, "the slow player was dropped")
        XCTAssertEqual(fast.socket.bytesDropped, 0)
        // The fast one got everything up to the last batch, in order.
        XCTAssertEqual(got, Array(expected(sent).prefix(got.count)))
        XCTAssertGreaterThan(got.count, expected(Array(sent.prefix(280))).count)
    }

    /// `mw_msgs 0; mw_latency 0;`: what the source got in one loop iteration goes to every
    /// player at the end of that iteration, as one buffer per player (not a write per message).
    func testNoMergingWritesEachIterationsMessagesAsOneBuffer() throws {
        let (loop, source) = try publishedSource()
        let play = playConfig(mwMsgs: 0, mwLatencyMs: 0)
        let immediate = PlayerBatchKey(format: .flv, mwMsgs: 0, mwLatencyMs: 0)
        let players = try (0..<3).map { _ in try Player(loop: loop, play: play) }
        for p in players { source.addPlayer(p, output: p.output, key: immediate, now: 0) }
        var sent: [MediaMessage] = []
        for round in 0..<4 {
            let burst = (0..<(round + 1)).map { i in frame(UInt32(1000 + 40 * (sent.count + i)), key: sent.isEmpty && i == 0) }
            for m in burst { source.onMessage(m) }
            for p in players { XCTAssertEqual(p.socket.bytesQueued, UInt64(expected(sent).count), "nothing before the iteration ends") }
            sent += burst
            loop.runOnce()
            for p in players {
                XCTAssertEqual(p.read(), expected(burst), "round \(round): the burst, in order, at the end of its iteration")
                XCTAssertEqual(p.socket.pendingBytes, 0)
            }
        }
        // A player that joins between a message and the end of its iteration has it from the
        // cached start already: the batch does not give it twice.
        let m = frame(UInt32(1000 + 40 * sent.count))
        source.onMessage(m)
        sent.append(m)
        let late = try Player(loop: loop, play: play)
        source.addPlayer(late, output: late.output, key: immediate, now: 0)
        late.output.flush()
        loop.runOnce()
        XCTAssertEqual(late.read(), expected(sent), "the GOP once, nothing twice")
        for p in players { XCTAssertEqual(p.read(), expected([m])) }
    }

    /// The publisher leaves in the iteration of its last messages: the players get them before
    /// they are told the stream ended.
    func testNoMergingTailGoesOutBeforeTheUnpublishNotice() throws {
        let (loop, source) = try publishedSource()
        let play = playConfig(mwMsgs: 0, mwLatencyMs: 0)
        let p = try Player(loop: loop, play: play)
        source.addPlayer(p, output: p.output, key: PlayerBatchKey(format: .flv, mwMsgs: 0, mwLatencyMs: 0), now: 0)
        let tail = [frame(1000, key: true), frame(1040)]
        for m in tail { source.onMessage(m) }
        source.unpublish(now: 0)
        XCTAssertEqual(p.unpublishedAtBytes, UInt64(expected(tail).count), "the tail was queued before the notice")
        loop.runOnce()
        XCTAssertEqual(p.read(), expected(tail))
    }
}
