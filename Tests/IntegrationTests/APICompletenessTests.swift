import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The API's endpoints as SRS 7 answers them (compared with `SRS7Captures`), unknown paths, CORS,
/// and a stream's entry ending with its publisher.
final class APICompletenessTests: XCTestCase {
    private func assertShape(_ srs: String, _ ours: [String: Any], _ what: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let diffs = JSONShape.differences(srs: try JSONShape.parse(srs), ours: ours)
        // SRS 7 lists two endpoints of builds with gperf (tcmalloc) and an unregistered one
        // (perf): SwiftSRS lists what it serves.
        let expected = what == "/api/v1/" ? [".urls.perf: missing", ".urls.tcmalloc: missing"] : []
        XCTAssertEqual(diffs, expected, "\(what): \(ours)", file: file, line: line)
    }

    func testEndpointsHaveSRS7Shapes() throws {
        let srs = try SRSProcess(config: MasterWorkerTests.config(workers: 2))
        defer { srs.stop() }
        try srs.waitListening(srs.apiPort)
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)
        let cases: [(String, String)] = [
            ("/api/v1/rusages", SRS7Captures.rusages), ("/api/v1/self_proc_stats", SRS7Captures.selfProcStats),
            ("/api/v1/system_proc_stats", SRS7Captures.systemProcStats), ("/api/v1/meminfos", SRS7Captures.meminfos),
            ("/api/v1/features", SRS7Captures.features), ("/api/v1/authors", SRS7Captures.authors),
            ("/api/v1/tests/requests", SRS7Captures.testsRequests), ("/api/v1/requests", SRS7Captures.testsRequests),
            ("/api/v1/summaries", SRS7Captures.summaries), ("/api/v1/", SRS7Captures.v1Listing),
        ]
        for (path, capture) in cases {
            let r = try HTTPClient.get(port: srs.apiPort, path: path)
            XCTAssertEqual(r.status, 200, path)
            XCTAssertEqual(r.headers["content-type"], "application/json", path)
            try assertShape(capture, try r.json(), path)
        }
        // Values that mean something: this machine's memory, the worker's own pid.
        let mem = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/meminfos")["data"] as? [String: Any]
        XCTAssertGreaterThan(mem?["MemTotal"] as? Int ?? 0, 0)
        let stat = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/self_proc_stats")["data"] as? [String: Any]
        XCTAssertTrue(Processes.children(of: srs.pid).contains(Int32(stat?["pid"] as? Int ?? 0)), "\(stat ?? [:])")
        XCTAssertEqual(stat?["ppid"] as? Int, Int(srs.pid))
        let system = (try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/summaries")["data"] as? [String: Any])?["system"] as? [String: Any]
        XCTAssertGreaterThan(system?["conn_sys"] as? Int ?? 0, 0, "\(system ?? [:])")
        XCTAssertGreaterThan(system?["conn_sys_et"] as? Int ?? 0, 0, "this request at least")
    }

    /// Streams, clients and vhosts while a stream plays to a player on each worker: SRS 7's
    /// shapes, plus `worker` on each stream and client.
    func testStreamsClientsVhostsHaveSRS7Shapes() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let srs = try SRSProcess(config: MasterWorkerTests.config(workers: 2))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/shape", seconds: 30)
        defer { pub.stop() }
        let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "shape")
        defer { player.stop() }
        try Deadline.require("media at the player", timeout: 15, every: 0.1) { player.keyframes > 0 }
        let streams = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/streams/")
        try assertShape(SRS7Captures.streams, streams, "/api/v1/streams/")
        XCTAssertNotNil((streams["streams"] as? [[String: Any]])?.first?["worker"] as? Int)
        let clients = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/clients/")
        try assertShape(SRS7Captures.clients, clients, "/api/v1/clients/")
        XCTAssertEqual((clients["clients"] as? [[String: Any]])?.compactMap { $0["worker"] as? Int }.count, 2)
        try assertShape(SRS7Captures.vhosts, try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/vhosts/"), "/api/v1/vhosts/")
    }

    /// Unknown paths answer JSON as SRS 7 does (its mux serves the nearest listing), never text.
    func testUnknownPathsAnswerJSON() throws {
        let srs = try SRSProcess(config: MasterWorkerTests.config(workers: 1))
        defer { srs.stop() }
        try srs.waitListening(srs.apiPort)
        for (path, key) in [("/api/v1/nosuch", "summaries"), ("/api/v1/nosuch/deeper?x=1", "streams"), ("/api/nosuch", "v1"),
                            ("/nosuch", "api"), ("/", "api")] {
            let r = try HTTPClient.get(port: srs.apiPort, path: path)
            XCTAssertEqual(r.status, 200, path)
            XCTAssertEqual(r.headers["content-type"], "application/json", path)
            let j = try r.json()
            XCTAssertEqual(j["code"] as? Int, 0, path)
            XCTAssertNotNil((j["urls"] as? [String: Any])?[key], "\(path): \(j)")
        }
        XCTAssertEqual(try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/streams/nosuch")["code"] as? Int, 2048)
        // CORS: a console on another origin may send basic auth.
        let options = try HTTPClient.request("OPTIONS", port: srs.apiPort, path: "/api/v1/summaries", headers: ["Origin": "http://example.com"])
        XCTAssertTrue(options.headers["access-control-allow-headers"]?.contains("Authorization") == true, "\(options.headers)")
    }

    /// A stream leaves /api/v1/streams/ (and the exporter's count) as soon as its publisher
    /// leaves, on every worker.
    func testStreamLeavesAtOnceWhenItsPublisherLeaves() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let exporter = FreePort.next()
        let srs = try SRSProcess(config: ExporterTests.config(workers: 2, exporter: exporter))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/leaving", seconds: 30)
        defer { pub.stop() }
        // A player stays connected after the publisher leaves: its source lingers, not the entry.
        let player = RTMPTestPlayer(port: srs.rtmpPort, stream: "leaving")
        defer { player.stop() }
        func streams() throws -> [[String: Any]] {
            try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/streams/")["streams"] as? [[String: Any]] ?? []
        }
        try Deadline.require("the stream listed", timeout: 10, every: 0.1) { try streams().count == 1 && player.keyframes > 0 }
        let before = srs.log.components(separatedBy: "closed (").count
        pub.stop()
        try Deadline.require("the publisher's close", timeout: 5, every: 0.01) { srs.log.components(separatedBy: "closed (").count > before }
        let left = Date()
        try Deadline.require("the stream gone from the API", timeout: 1, every: 0.01) { try streams().isEmpty }
        let ms = Int(Date().timeIntervalSince(left) * 1000)
        print("stream left /api/v1/streams/ \(ms) ms after its publisher's close")
        XCTAssertLessThan(ms, 500)
        let m = MetricsText(try HTTPClient.get(port: exporter, path: "/metrics").text)
        XCTAssertEqual(m.value("srs_streams"), 0)
        XCTAssertTrue(m.all("srs_stream_viewers").isEmpty)
    }
}
