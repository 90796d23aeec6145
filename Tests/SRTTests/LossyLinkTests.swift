import Foundation
import Protocol
import XCTest

/// The environment of the loss test: a namespace behind a veth pair losing 5 % of the packets
/// each way, built and removed by the test. Here it carries an ffmpeg SRT publish into the
/// srt-harness (the SRT layer and the demuxer alone) at SRS's default 120 ms latency; the full
/// test, playback through the server without decode errors, comes with the wiring.
final class LossyLinkTests: XCTestCase {
    func testSRTPublishThroughFivePercentLossIsRepaired() throws {
        guard ChildProcess.which("ffmpeg") != nil else { throw XCTSkip("ffmpeg not installed") }
        let link = try LossyLink(lossPercent: 5)
        defer {
            link.destroy()
            XCTAssertFalse(link.leftovers, "the namespace and the veth pair are gone")
        }
        // The loss is random: a packet and its retransmissions can all be lost. Every attempt must
        // show the repair at work (at most a couple of packets unrepaired where ~50 are lost),
        // and one of three must be entirely clean. Without the repair every attempt would drop
        // ~5 % of its packets.
        var clean = false
        for _ in 1...3 where !clean { clean = try attempt(link) }
        XCTAssertTrue(clean, "no attempt of three went through with nothing dropped")
    }

    private func attempt(_ link: LossyLink) throws -> Bool {
        let port = FreeUDPPort.next()
        let harness = try HarnessProcess(port: port, args: ["--host", link.namespaceAddress, "--demux", "--seconds", "60"],
                                         namespace: link.namespace)
        defer { harness.stop() }
        // linger: in live mode libsrt's close drops what is unacknowledged, so a loss among the
        // last packets could not be repaired.
        let url = "srt://\(link.namespaceAddress):\(port)?streamid=#!::r=live/loss,m=publish&linger=3"
        let ffmpeg = try ChildProcess("ffmpeg", ["-v", "error", "-re", "-i", try TSFixture.path(), "-t", "5", "-c", "copy",
                                                 "-f", "mpegts", url])
        defer { ffmpeg.stop() }
        XCTAssertEqual(ffmpeg.wait(timeout: 30), 0, ffmpeg.output)
        XCTAssertTrue(harness.waitFor("close", timeout: 15), "the harness should see the publisher leave")
        _ = harness.finish()

        let close = try XCTUnwrap(harness.events("close").first)
        let loss = close["rcv_loss"]?.intValue ?? 0
        let retransmitted = close["rcv_retransmitted"]?.intValue ?? 0
        let dropped = close["rcv_dropped"]?.intValue ?? -1
        let ccErrors = close["cc_errors"]?.intValue ?? -1
        let frames = close["frames"]?.intValue ?? 0
        XCTAssertGreaterThan(loss, 0, "the link loses packets")
        XCTAssertGreaterThan(retransmitted, 0, "SRT retransmits them")
        XCTAssertTrue((0...2).contains(dropped), "SRT repairs the loss: \(dropped) dropped of \(loss) lost")
        XCTAssertGreaterThan(frames, 250, "about 5 s of video and audio frames")
        print("LossyLink (\(link.method), 5 % each way): \(loss) packets lost, \(retransmitted) retransmitted, "
              + "\(dropped) dropped, \(ccErrors) continuity errors, \(frames) frames")
        return dropped == 0 && ccErrors == 0
    }
}
