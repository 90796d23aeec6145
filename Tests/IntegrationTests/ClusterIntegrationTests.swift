import Foundation
import Kernel
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Edge and origin cluster with several real `srs` processes on loopback, ffmpeg/ffprobe clients.
final class ClusterIntegrationTests: XCTestCase {
    override func setUpWithError() throws {
        try XCTSkipUnless(Tool.available("ffmpeg") && Tool.available("ffprobe"), "ffmpeg/ffprobe not installed")
    }

    func start(_ config: String) throws -> SRSProcess {
        let srs = try SRSProcess(config: config)
        try srs.waitListening()
        try srs.waitListening(srs.httpPort)
        return srs
    }

    /// A decoding player of `url` for `seconds`: succeeds only if it decoded frames.
    func player(_ url: String, seconds: Int = 4) throws -> Tool {
        try Tool("ffmpeg", ["-hide_banner", "-rw_timeout", "15000000", "-i", url, "-t", "\(seconds)", "-map", "0",
                            "-f", "null", "-"])
    }

    /// Five players (RTMP and HTTP-FLV) on an edge share one pull: the origin sees one player,
    /// every player decodes H.264 and AAC, and the pull stops when they are gone.
    func testEdgeMergesPlayersIntoOneUpstreamPull() throws {
        let origin = try start(ClusterConfigs.origin())
        defer { origin.stop() }
        // HLS on in the edge's vhost: still only the origin segments (the edge's source is pulled).
        let edge = try start(ClusterConfigs.edge(origins: ["127.0.0.1:\(origin.rtmpPort)"], vhost: "hls { enabled on; hls_fragment 1; }"))
        defer { edge.stop() }
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(origin.rtmpPort)/live/merged", seconds: 30)
        defer { pub.stop() }
        try origin.waitForLog("start publish stream")

        var players: [Tool] = []
        defer { players.forEach { $0.stop() } }
        for i in 0..<5 {
            let url = i < 3 ? "rtmp://127.0.0.1:\(edge.rtmpPort)/live/merged" : "http://127.0.0.1:\(edge.httpPort)/live/merged.flv"
            players.append(try player(url, seconds: 5))
        }
        try edge.waitForLog("edge change from 100 to state 101 (pull).")
        // While they play, the origin has exactly one player of the stream: the edge.
        XCTAssertTrue(Deadline.wait(timeout: 10) { (try? edge.playClients(stream: "merged").count) == 5 },
                      "edge players: \(String(describing: try? edge.playClients(stream: "merged")))")
        let upstream = try origin.playClients(stream: "merged")
        XCTAssertEqual(upstream.count, 1, "\(upstream)")
        XCTAssertEqual(edge.log.components(separatedBy: "edge pull __defaultVhost__/live/merged started").count - 1, 1)

        for p in players {
            XCTAssertEqual(p.wait(timeout: 25), 0, p.output)
            XCTAssertTrue(p.output.contains("Video: h264"), p.output)
            XCTAssertTrue(p.output.contains("Audio: aac"), p.output)
            XCTAssertTrue(p.output.contains("frame="), p.output)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: edge.dir.appendingPathComponent("objs/nginx/html/live/merged.m3u8").path),
                       "an edge must not write HLS")
        // The last player left: the pull stops (SRS's line) and the origin loses its player.
        try edge.waitForLog("edge change from 101 to 300 then 0 (init).")
        XCTAssertTrue(Deadline.wait(timeout: 5) { (try? origin.playClients(stream: "merged").count) == 0 })
    }

    /// An origin publishing `live/<stream>`, a two-worker edge in front of it (run from
    /// `binary`, for an upgrade), and viewers of the stream playing on both edge workers; all
    /// stopped at teardown.
    private func twoWorkerEdge(stream: String, binary: String? = nil) throws
        -> (origin: SRSProcess, edge: SRSProcess, viewers: EdgeViewers) {
        let origin = try start(ClusterConfigs.origin())
        addTeardownBlock { origin.stop() }
        let config = ClusterConfigs.edge(origins: ["127.0.0.1:\(origin.rtmpPort)"])
            .replacingOccurrences(of: "daemon off;", with: "daemon off;\nworker_processes 2;")
        let edge = try SRSProcess(config: config, binary: binary)
        addTeardownBlock { edge.stop() }
        try edge.waitListening()
        try edge.waitListening(edge.httpPort)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(origin.rtmpPort)/live/\(stream)", seconds: 60)
        addTeardownBlock { pub.stop() }
        try origin.waitForLog("start publish stream")
        let viewers = EdgeViewers(edge: edge, stream: stream)
        addTeardownBlock { viewers.stop() }
        try viewers.spreadOverWorkers()
        try viewers.waitMedia()
        return (origin, edge, viewers)
    }

    /// An edge with two workers still pulls each stream once: the first player's worker claims
    /// it through the master and pulls from the origin, the other worker relays from it. Players
    /// arrive at once on both workers (the claim race), RTMP and HTTP-FLV.
    func testEdgeWithTwoWorkersPullsOnceFromTheOrigin() throws {
        let (origin, edge, viewers) = try twoWorkerEdge(stream: "once")
        // One pull from the origin, by one worker; the other worker relays from it.
        let upstream = try origin.playClients(stream: "once")
        XCTAssertEqual(upstream.count, 1, "\(upstream)")
        XCTAssertEqual(edge.log.components(separatedBy: "edge pull __defaultVhost__/live/once started").count - 1, 1, edge.log)
        XCTAssertTrue(edge.log.contains("relay: pull __defaultVhost__/live/once from worker"), edge.log)
        XCTAssertEqual(try edge.playClients(stream: "once").count, viewers.count)

        // Every player gone: the relay and then the pull stop, and the origin loses its player.
        viewers.stop()
        XCTAssertTrue(Deadline.wait(timeout: 10) { (try? origin.playClients(stream: "once").count) == 0 }, edge.log)
        try edge.waitForLog("edge change from 101 to 300 then 0 (init).")
    }

    /// The worker that pulls for its sibling dies: the sibling's RTMP players wait, then get the
    /// stream again from the sibling's own pull (the master forgot the dead worker's claim).
    func testEdgeRelayRecoversWhenThePullingWorkerDies() throws {
        let (origin, edge, viewers) = try twoWorkerEdge(stream: "die")
        guard let line = edge.log.split(separator: "\n").first(where: { $0.contains("edge pull __defaultVhost__/live/die started") }),
              let puller = line.split(separator: "]").dropFirst(2).first.flatMap({ Int32($0.dropFirst()) }) else {
            return XCTFail("no puller in the log:\n\(edge.log)")
        }
        let players = viewers.players
        players.forEach { $0.resetGap() }
        let before = players.map(\.keyframes)
        kill(puller, SIGKILL)
        // The puller's own viewers are cut with it; the sibling's get the stream back (two more
        // keyframes: the new pull's cached one, then the next).
        XCTAssertTrue(Deadline.wait(timeout: 10) { zip(players, before).allSatisfy { $0.error != nil || $0.keyframes > $1 + 1 } },
                      "players of the sibling did not resume:\n\(edge.log.suffix(4000))")
        let cut = players.filter { $0.error != nil }.count
        XCTAssertGreaterThan(cut, 0, "no player was on the killed worker")
        XCTAssertLessThan(cut, players.count, "no player was on the sibling")
        print("edge puller killed: \(cut) of \(players.count) players cut with it, the others' longest gap "
              + "\(Int((players.filter { $0.error == nil }.map(\.maxGap).max() ?? 0) * 1000)) ms")
        XCTAssertTrue(edge.log.contains("relay: __defaultVhost__/live/die from worker \(puller) lost"), edge.log)
        XCTAssertTrue(Deadline.wait(timeout: 5) { (try? origin.playClients(stream: "die").count) == 1 })
    }

    /// A hot upgrade of a two-worker edge: the old workers keep serving their players (the one
    /// that relays keeps relaying from the old puller: no player cut, HTTP-FLV included), the new
    /// workers pull the stream themselves (once), and the old workers exit when their players
    /// leave instead of lingering as the new workers' source.
    func testEdgeUpgradeKeepsOldPlayersAndNewWorkersPullAnew() throws {
        let binDir = FileManager.default.temporaryDirectory.appendingPathComponent("srs-bin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: binDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: binDir) }
        let binary = binDir.appendingPathComponent("srs").path
        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.0")

        let (origin, edge, old) = try twoWorkerEdge(stream: "up", binary: binary)
        XCTAssertTrue(edge.log.contains("relay: pull __defaultVhost__/live/up from worker"), edge.log)
        let oldWorkers = Set(Processes.children(of: edge.pid))
        old.resetGaps()

        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.1")
        edge.signal(SIGUSR2)
        try edge.waitForLog("re-executed as SwiftSRS/1.0.1", timeout: 15)

        // New players land on the new workers and get the stream: pulled once more from the
        // origin (the new workers' own pull), not from the retired workers.
        let new = EdgeViewers(edge: edge, stream: "up")
        defer { new.stop() }
        try new.spreadOverWorkers()
        try new.waitMedia()
        XCTAssertTrue(Deadline.wait(timeout: 5) { (try? origin.playClients(stream: "up").count) == 2 },
                      "origin players: \(String(describing: try? origin.playClients(stream: "up")))")

        // The old players never noticed (over a fixed time: that nothing cuts them is the point).
        usleep(1_500_000)
        old.checkUninterrupted()

        // Once they leave, the old workers exit; the new workers' pull is the only one left.
        old.stop()
        XCTAssertTrue(Deadline.wait(timeout: 10) { Set(Processes.children(of: edge.pid)).isDisjoint(with: oldWorkers) },
                      "old workers still running:\n\(edge.log.suffix(4000))")
        XCTAssertTrue(Deadline.wait(timeout: 5) { (try? origin.playClients(stream: "up").count) == 1 })
        new.checkUninterrupted()
    }

    /// A publish to the edge is forwarded to the origin; a second publisher of the stream on the
    /// edge is refused; when the origin dies the edge drops the publisher (as SRS).
    func testPublishThroughEdgeReachesOrigin() throws {
        let origin = try start(ClusterConfigs.origin())
        defer { origin.stop() }
        let edge = try start(ClusterConfigs.edge(origins: ["127.0.0.1:\(origin.rtmpPort)"]))
        defer { edge.stop() }
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(edge.rtmpPort)/live/pushed", seconds: 30)
        defer { pub.stop() }
        try edge.waitForLog("edge change from 0 to state 200 (push).")
        try origin.waitForLog("start publish stream __defaultVhost__/live/pushed")
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(origin.rtmpPort)/live/pushed")), ["h264", "aac"])
        // No HLS, no local publish on the edge: the stream is the origin's.
        XCTAssertFalse(edge.log.contains("hls"), edge.log)

        let second = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(edge.rtmpPort)/live/pushed", seconds: 5)
        XCTAssertNotEqual(second.wait(timeout: 15), 0, "a second publisher must be refused")
        XCTAssertTrue(edge.log.contains("edge already forwards it"), edge.log)
        XCTAssertTrue(pub.isRunning)

        origin.killHard()
        XCTAssertNotNil(pub.wait(timeout: 10), "the edge must drop its publisher when the origin is gone")
        try edge.waitForLog("edge change from 200 to state 0 (init).")
    }

    /// Origins tried in order: the first is down (nothing listens), the second is a DNS name
    /// (resolved off the loop); the edge serves from it at once.
    func testEdgeSkipsDeadOriginAndResolvesNames() throws {
        let origin = try start(ClusterConfigs.origin())
        defer { origin.stop() }
        let dead = FreePort.next()
        let edge = try start(ClusterConfigs.edge(origins: ["127.0.0.1:\(dead)", "localhost:\(origin.rtmpPort)"]))
        defer { edge.stop() }
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(origin.rtmpPort)/live/failover", seconds: 30)
        defer { pub.stop() }
        try origin.waitForLog("start publish stream")
        let t0 = Date()
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(edge.rtmpPort)/live/failover")), ["h264", "aac"])
        let probeSeconds = Date().timeIntervalSince(t0)
        XCTAssertTrue(edge.log.contains("127.0.0.1:\(dead): connect 127.0.0.1:\(dead): Connection refused"), edge.log)
        XCTAssertTrue(edge.log.contains("dns: localhost resolved to [127.0.0.1"), edge.log)
        XCTAssertLessThan(probeSeconds, 6, "failover must not wait for a backoff")
        // On the edge: from the first player to playing from the second origin (refused + DNS + connect).
        let started = edge.logTimeMs("edge pull __defaultVhost__/live/failover started")
        let pulling = edge.logTimeMs("edge change from 100 to state 101 (pull).")
        XCTAssertNotNil(started)
        XCTAssertNotNil(pulling)
        if let a = started, let b = pulling {
            XCTAssertLessThan(b - a, 1000)
            print("edge failover: dead origin skipped, pulling from the second one \(b - a)ms after the first player (ffprobe \(String(format: "%.2f", probeSeconds))s)")
        }
    }

    /// The origin dies mid-stream (SIGKILL); the publisher comes back on the second origin; the
    /// edge's players keep their connections and receive media again.
    func testEdgePlayersResumeWhenOriginDiesAndStreamMovesToAnother() throws {
        let a = try start(ClusterConfigs.origin())
        defer { a.stop() }
        let b = try start(ClusterConfigs.origin())
        defer { b.stop() }
        let edge = try start(ClusterConfigs.edge(origins: ["127.0.0.1:\(a.rtmpPort)", "127.0.0.1:\(b.rtmpPort)"]))
        defer { edge.stop() }
        let pubA = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(a.rtmpPort)/live/moving", seconds: 60)
        defer { pubA.stop() }
        try a.waitForLog("start publish stream")

        let flv = FLVReader(port: edge.httpPort, path: "/live/moving.flv")
        defer { flv.stop() }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("edge-\(UUID().uuidString.prefix(8)).flv")
        defer { try? FileManager.default.removeItem(at: file) }
        let rtmp = try Tool("ffmpeg", ["-hide_banner", "-loglevel", "error", "-i", "rtmp://127.0.0.1:\(edge.rtmpPort)/live/moving",
                                       "-c", "copy", "-f", "flv", "-flush_packets", "1", file.path])
        defer { rtmp.stop() }
        func fileSize() -> Int { (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0 }
        XCTAssertTrue(Deadline.wait(timeout: 10) { flv.bytes > 100_000 && fileSize() > 100_000 },
                      "flv \(flv.bytes) file \(fileSize())")
        XCTAssertEqual(flv.status, 200)

        a.killHard()
        pubA.stop()
        let killedAt = Date()
        let flvAtKill = flv.bytes
        let fileAtKill = fileSize()
        let pubB = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(b.rtmpPort)/live/moving", seconds: 60)
        defer { pubB.stop() }
        try b.waitForLog("start publish stream")
        let republishedAt = Date()
        // First media again (a keyframe's worth), then plenty of it.
        XCTAssertTrue(Deadline.wait(timeout: 15, every: 0.005) { flv.bytes > flvAtKill + 5_000 })
        let firstMediaAt = Date()
        XCTAssertTrue(Deadline.wait(timeout: 15) { flv.bytes > flvAtKill + 100_000 && fileSize() > fileAtKill + 100_000 },
                      "after the move: flv \(flvAtKill) → \(flv.bytes), file \(fileAtKill) → \(fileSize())\n\(edge.log.suffix(4000))")
        let resumedAt = Date()
        XCTAssertFalse(flv.closed, "the HTTP-FLV response must survive the upstream loss")
        XCTAssertTrue(rtmp.isRunning, rtmp.output)
        XCTAssertEqual(try b.playClients(stream: "moving").count, 1)
        print(String(format: "origin killed → B published %.2fs → edge HTTP-FLV player got media %.2fs later, 100 KB more after %.2fs",
                     republishedAt.timeIntervalSince(killedAt), firstMediaAt.timeIntervalSince(republishedAt),
                     resumedAt.timeIntervalSince(republishedAt)))
        rtmp.stop()
        // What the RTMP player wrote across the move decodes as one file.
        let (status, out) = try Tool.run("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", file.path],
                                         timeout: 15)
        XCTAssertEqual(status, 0, out)
        XCTAssertTrue(out.contains("h264") && out.contains("aac"), out)
    }

    /// Origin cluster A+B (coworkers by DNS name): a stream published on A is played via B with
    /// an RTMP 302 (raw client, then through an edge listing B first) and HTTP-FLV 302; the
    /// clusters API answers as SRS.
    func testOriginClusterRedirectsToTheOriginWithTheStream() throws {
        let apiA = FreePort.next(), apiB = FreePort.next()
        let coworkers = "cluster { origin_cluster on; coworkers localhost:\(apiA) localhost:\(apiB); }"
        let a = try start(ClusterConfigs.origin(cluster: coworkers, api: "\(apiA)"))
        defer { a.stop() }
        let b = try start(ClusterConfigs.origin(cluster: coworkers, api: "\(apiB)"))
        defer { b.stop() }
        try a.waitListening(apiA)
        try b.waitListening(apiB)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(a.rtmpPort)/live/oc", seconds: 30)
        defer { pub.stop() }
        try a.waitForLog("start publish stream")

        // The clusters API, SRS's shape (+ http_port).
        let found = try HTTPClient.request("POST", port: apiA,
                                           path: "/api/v1/clusters?vhost=__defaultVhost__&ip=127.0.0.1&app=live&stream=oc&coworker=127.0.0.1:\(apiA)").json()
        XCTAssertEqual(found["code"] as? Int, 0)
        XCTAssertNil(found["server"])
        let origin = (found["data"] as? [String: Any])?["origin"] as? [String: Any]
        XCTAssertEqual(origin?["ip"] as? String, "127.0.0.1")
        XCTAssertEqual(origin?["port"] as? Int, a.rtmpPort)
        XCTAssertEqual(origin?["http_port"] as? Int, a.httpPort)
        XCTAssertEqual(origin?["api"] as? String, "127.0.0.1:\(apiA)")
        let missing = try HTTPClient.get(port: apiB, path: "/api/v1/clusters?vhost=__defaultVhost__&ip=x&app=live&stream=oc&coworker=127.0.0.1:\(apiB)").json()
        XCTAssertTrue((missing["data"] as? [String: Any])?["origin"] is NSNull, "\(missing)")

        // RTMP on B: SRS's 302, then B closes.
        let r = try RTMPRedirectProbe.play(port: b.rtmpPort, stream: "oc")
        XCTAssertEqual(r.status?["code"]?.stringValue, "NetConnection.Connect.Rejected", "\(r)")
        XCTAssertEqual(r.status?["description"]?.stringValue, "RTMP 302 Redirect")
        XCTAssertEqual(r.status?["ex"]?["code"]?.numberValue, 302)
        XCTAssertEqual(r.status?["ex"]?["redirect"]?.stringValue, "rtmp://127.0.0.1:\(a.rtmpPort)/live")
        XCTAssertEqual(r.status?["ex"]?["redirect2"]?.stringValue, "rtmp://127.0.0.1:\(a.rtmpPort)/live/oc")
        XCTAssertEqual(Array(r.statusCodes.prefix(2)), ["NetStream.Play.Reset", "NetStream.Play.Start"])
        XCTAssertNotNil(r.closedAfter, "B must close after the redirect")
        XCTAssertLessThanOrEqual(r.closedAfter ?? 99, 3.5)
        // A stream nobody has: no redirect, the player is closed.
        let none = try RTMPRedirectProbe.play(port: b.rtmpPort, stream: "nowhere", timeout: 8)
        XCTAssertNil(none.status)
        XCTAssertTrue(b.log.contains("no origin has __defaultVhost__/live/nowhere"), b.log)

        // HTTP-FLV on B: 302 to A's HTTP server.
        let flv = try HTTPClient.get(port: b.httpPort, path: "/live/oc.flv")
        XCTAssertEqual(flv.status, 302)
        XCTAssertEqual(flv.headers["location"], "http://127.0.0.1:\(a.httpPort)/live/oc.flv")

        // An edge that asks B first follows the redirect to A.
        let edge = try start(ClusterConfigs.edge(origins: ["127.0.0.1:\(b.rtmpPort)", "127.0.0.1:\(a.rtmpPort)"]))
        defer { edge.stop() }
        XCTAssertEqual(FFmpeg.codecs(try FFmpeg.probe("rtmp://127.0.0.1:\(edge.rtmpPort)/live/oc")), ["h264", "aac"])
        XCTAssertTrue(edge.log.contains("RTMP redirect __defaultVhost__/live/oc from 127.0.0.1:\(b.rtmpPort) to rtmp://127.0.0.1:\(a.rtmpPort)/live/oc"),
                      edge.log)
    }
}
