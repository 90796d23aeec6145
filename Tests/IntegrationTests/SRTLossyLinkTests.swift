import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// SRT through the server over a lossy link (issue 20): `srs` runs in a network namespace behind
/// a veth pair that loses 5 % of the packets each way (nftables in the namespace; this kernel
/// has no netem), ffmpeg publishes into it over SRT and another ffmpeg plays it back over SRT,
/// both through the loss, at SRS's default 120 ms latency: the playback decodes without an error.
/// The namespace is made as `LossyLinkTests` (SRTTests) makes it, in a few lines of its own.
final class SRTLossyLinkTests: XCTestCase {
    func testSRTPublishAndPlayThroughFivePercentLossDecodeCleanly() throws {
        try XCTSkipUnless(getuid() == 0, "needs root for ip netns")
        try XCTSkipUnless(Tool.available("ip") && Tool.available("nft") && Tool.available("ffmpeg"), "ip, nft, ffmpeg needed")
        let id = Int(getpid()) % 100_000
        let ns = "swiftsrs-srtit-\(id)"
        let (host, peer) = ("ssit\(id)h", "ssit\(id)n")
        let subnet = 10 + (id / 7) % 240
        let (hostIP, nsIP) = ("10.214.\(subnet).1", "10.214.\(subnet).2")
        func ip(_ args: [String]) throws {
            let (status, out) = try Tool.run("/usr/sbin/ip", args, timeout: 10)
            if status != 0 { throw TestError("ip \(args.joined(separator: " ")): \(out)") }
        }
        _ = try? ip(["netns", "del", ns])
        try ip(["netns", "add", ns])
        defer {
            _ = try? ip(["netns", "del", ns])
            _ = try? ip(["link", "del", host])
        }
        try ip(["link", "add", host, "type", "veth", "peer", "name", peer])
        try ip(["link", "set", peer, "netns", ns])
        try ip(["addr", "add", "\(hostIP)/24", "dev", host])
        try ip(["link", "set", host, "up"])
        for cmd in [["ip", "addr", "add", "\(nsIP)/24", "dev", peer], ["ip", "link", "set", peer, "up"], ["ip", "link", "set", "lo", "up"],
                    ["nft", "add table inet swiftsrs_loss"]] {
            try ip(["netns", "exec", ns] + cmd)
        }
        for (chain, hook) in [("in", "input"), ("out", "output")] {
            try ip(["netns", "exec", ns, "nft", "add chain inet swiftsrs_loss \(chain) { type filter hook \(hook) priority 0; policy accept; }"])
            try ip(["netns", "exec", ns, "nft", "add rule inet swiftsrs_loss \(chain) numgen random mod 100 < 5 drop"])
        }

        // srs in the namespace: `ip netns exec` execs, so the pid stays the master's.
        let wrapper = FileManager.default.temporaryDirectory.appendingPathComponent("srs-in-\(ns).sh")
        try "#!/bin/sh\nexec /usr/sbin/ip netns exec \(ns) \(SRSBinary.path) \"$@\"\n".write(to: wrapper, atomically: true, encoding: .utf8)
        chmod(wrapper.path, 0o755)
        defer { try? FileManager.default.removeItem(at: wrapper) }
        let port = FreePort.next()
        let srs = try SRSProcess(config: SRTServerTests.config().replacingOccurrences(of: "{SRT}", with: "\(port)"), binary: wrapper.path)
        defer { srs.stop() }
        try srs.waitForLog("SRT listen at udp://", timeout: 10)

        let url = { (mode: String) in
            "srt://\(nsIP):\(port)?streamid=#!::r=live/loss,m=\(mode)&connect_timeout=3000000&timeout=5000000"
        }
        let pub = try Tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-re",
                                      "-f", "lavfi", "-i", "testsrc=size=640x360:rate=25",
                                      "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-t", "9",
                                      "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-g", "25",
                                      "-b:v", "1000k", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "64k",
                                      "-f", "mpegts", url("publish")])
        defer { pub.stop() }
        try srs.waitForLog("SRT start publish stream __defaultVhost__/live/loss", timeout: 10)
        // 6 s of playback, decoded: any lost TS packet would show as a decode error.
        let (status, out) = try Tool.run("ffmpeg", ["-hide_banner", "-v", "error", "-i", url("request"), "-t", "6",
                                                    "-f", "null", "-"], timeout: 20)
        XCTAssertEqual(status, 0, out)
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "", "decode errors through the loss:\n\(out)")
        // The publisher ends by itself (a killed one may leave its last packets unrepaired).
        XCTAssertEqual(pub.wait(timeout: 15), 0, pub.output)
        try srs.waitForLog("pktRcvLoss=", timeout: 15)
        // SRS's counters at close: the loss happened, and SRT repaired it.
        let closes = srs.log.split(separator: "\n").filter { $0.contains("pktRcvLoss=") || $0.contains("pktSndLoss=") }
        print("SRT through 5 % loss each way:\n" + closes.joined(separator: "\n"))
        let pktLoss = closes.compactMap { line -> Int? in
            guard let r = line.range(of: "pktRcvLoss=") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }.reduce(0, +)
        XCTAssertGreaterThan(pktLoss, 0, "the publisher's packets were lost on the way: \(closes)")
        let drops = closes.compactMap { line -> Int? in
            guard let r = line.range(of: "pktRcvDrop=") else { return nil }
            return Int(line[r.upperBound...].prefix { $0.isNumber })
        }.reduce(0, +)
        XCTAssertEqual(drops, 0, "none too late at 120 ms: \(closes)")
    }
}
