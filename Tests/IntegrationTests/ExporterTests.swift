import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// The Prometheus exporter (`exporter { enabled on; listen; label; tag; }`): SRS 7's families,
/// names and labels, valid for `promtool`, totals over every worker, and scraped by a real
/// Prometheus server.
final class ExporterTests: XCTestCase {
    static func config(workers: Int, exporter: Int, extra: String = "") -> String {
        """
        listen {RTMP};
        daemon off;
        srs_log_tank console;
        pid ./objs/srs.pid;
        worker_processes \(workers);
        http_api { enabled on; listen {API}; }
        exporter { enabled on; listen \(exporter); label cn-beijing; tag cn-edge; }
        \(extra)
        vhost __defaultVhost__ {
        }
        """
    }

    private func scrape(_ port: Int) throws -> (MetricsText, String) {
        let r = try HTTPClient.get(port: port, path: "/metrics")
        guard r.status == 200 else { throw TestError("GET /metrics: \(r.status) \(r.text)") }
        XCTAssertEqual(r.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8")
        return (MetricsText(r.text), r.text)
    }

    private func promtool(_ text: String) throws -> (Int32?, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("scrape-\(UUID().uuidString.prefix(8)).txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try Tool.run("/bin/sh", ["-c", "promtool check metrics < \"$1\"", "sh", file.path], timeout: 20)
    }

    /// A real scrape while a stream plays: every family of SRS 7's exporter, with its help, type
    /// and label names (build info with label and tag), passes `promtool check metrics`.
    func testScrapeHasSRSFamiliesAndPassesPromtool() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let exporter = FreePort.next()
        let srs = try SRSProcess(config: Self.config(workers: 2, exporter: exporter))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitListening(exporter)
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/scraped", seconds: 30)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        var text = ""
        var m = MetricsText("")
        try Deadline.require("stream in the scrape", timeout: 10, every: 0.2) {
            (m, text) = try scrape(exporter)
            return m.value("srs_streams") == 1 && (m.value("srs_stream_receive_kbps", ["stream": "scraped"]) ?? 0) > 0
        }

        let srs7 = MetricsText(SRS7Captures.metrics)
        XCTAssertEqual(srs7.type.count, 10)
        for (name, type) in srs7.type {
            XCTAssertEqual(m.type[name], type, "type of \(name)")
            XCTAssertEqual(m.help[name], srs7.help[name], "help of \(name)")
            XCTAssertEqual(m.labelOrder[name], srs7.labelOrder[name], "labels of \(name)")
        }
        let build = try XCTUnwrap(m.all("srs_build_info").first)
        XCTAssertEqual(build.labels["label"], "cn-beijing")
        XCTAssertEqual(build.labels["tag"], "cn-edge")
        XCTAssertEqual(build.labels["pid"], "\(srs.pid)", "the master's pid, as the API's")
        XCTAssertEqual(m.value("srs_clients"), 1, text)
        XCTAssertGreaterThan(m.value("srs_receive_bytes_total") ?? 0, 10_000)
        XCTAssertGreaterThan(m.value("srs_memory") ?? 0, 1000)
        XCTAssertEqual(m.value("srs_stream_publishing", ["stream": "scraped"]), 1)
        XCTAssertEqual(m.value("srs_ready"), 1)
        XCTAssertEqual(m.all("srs_worker_state", ["state": "ready"]).filter { $0.value == 1 }.count, 2, text)

        // As SRS: /metrics on the API's port too, and the API on the exporter's port.
        XCTAssertEqual(try HTTPClient.get(port: srs.apiPort, path: "/metrics").status, 200)
        XCTAssertEqual(try HTTPClient.getJSON(port: exporter, path: "/api/v1/versions")["code"] as? Int, 0)

        // Numbers for the report: size and latency of a scrape gathered over 2 workers.
        var times: [Double] = []
        for _ in 0..<20 {
            let t = Date()
            _ = try scrape(exporter)
            times.append(Date().timeIntervalSince(t) * 1000)
        }
        times.sort()
        print("scrape: \(text.utf8.count) bytes, \(text.split(separator: "\n").count) lines; latency with 2 workers: "
              + "median \(String(format: "%.1f", times[10])) ms, max \(String(format: "%.1f", times[19])) ms")

        // Last, so that the rest runs without promtool (the test then reports a skip).
        try XCTSkipUnless(Tool.available("promtool"), "promtool not installed (Debian package prometheus)")
        let (status, out) = try promtool(text)
        XCTAssertEqual(status, 0, out + "\n" + text)
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "", out)
    }

    /// One publisher and many players spread over 2 workers: the totals count every client once,
    /// the stream's viewers on every worker, and each worker has its own series.
    func testTotalsAggregateOverTwoWorkers() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let exporter = FreePort.next()
        let srs = try SRSProcess(config: Self.config(workers: 2, exporter: exporter))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/agg", seconds: 40)
        defer { pub.stop() }
        try srs.waitForLog("start publish stream", timeout: 10)
        // Players join in batches until some land on the worker without the publisher (the
        // kernel picks the accepting worker).
        var players: [RTMPTestPlayer] = []
        defer { players.forEach { $0.stop() } }
        var clients: [[String: Any]] = []
        var publisherWorker: Int?
        var playerWorkers = Set<Int>()
        while players.count < 60 {
            players += (0..<5).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "agg") }
            try Deadline.require("media at every player", timeout: 20, every: 0.1) { players.allSatisfy { $0.keyframes > 0 } }
            clients = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/clients/?count=100")["clients"] as? [[String: Any]] ?? []
            publisherWorker = clients.first { $0["publish"] as? Bool == true }?["worker"] as? Int
            playerWorkers = Set(clients.filter { $0["publish"] as? Bool == false }.compactMap { $0["worker"] as? Int })
            if playerWorkers.count == 2 { break }
        }
        let n = players.count
        print("\(n) players, publisher on worker \(publisherWorker ?? -1)")
        XCTAssertEqual(clients.count, n + 1)
        XCTAssertEqual(playerWorkers.count, 2, "players on workers \(playerWorkers)")

        var m = MetricsText("")
        var text = ""
        try Deadline.require("totals over both workers", timeout: 5, every: 0.2) {
            (m, text) = try scrape(exporter)
            return m.value("srs_clients") == Double(n + 1) && m.value("srs_stream_viewers", ["stream": "agg"]) == Double(n)
        }
        XCTAssertEqual(m.value("srs_streams"), 1, text)
        XCTAssertEqual(m.value("srs_stream_worker", ["stream": "agg"]).map(Int.init), publisherWorker)
        let workers = m.all("srs_worker_connections")
        XCTAssertEqual(workers.count, 2, text)
        XCTAssertEqual(Set(workers.compactMap { $0.labels["generation"] }), ["1"])
        // Per worker: its players (and the publisher on one); the scrape itself is a connection too.
        XCTAssertGreaterThanOrEqual(workers.reduce(0) { $0 + $1.value }, Double(n + 1))
        XCTAssertTrue(workers.allSatisfy { $0.value >= 1 }, text)
        XCTAssertGreaterThanOrEqual(m.value("srs_clients_total") ?? 0, Double(n + 1))
        XCTAssertGreaterThan(m.value("srs_send_bytes_total") ?? 0, 10_000)

        // The same totals in the API's summaries, with a row per worker for the console.
        let data = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/summaries")["data"] as? [String: Any]
        let rows = data?["workers"] as? [[String: Any]] ?? []
        XCTAssertEqual(rows.count, 2)
        for r in rows {
            for k in ["index", "pid", "generation", "state", "conns", "cpu_percent", "mem_kbyte", "uptime"] {
                XCTAssertNotNil(r[k], "workers[].\(k) in \(r)")
            }
            XCTAssertEqual(r["state"] as? String, "ready")
        }
        XCTAssertEqual(Set(rows.compactMap { $0["index"] as? Int }).count, 2)
        let me = data?["self"] as? [String: Any]
        XCTAssertEqual(me?["generation"] as? Int, 1)
        XCTAssertEqual(me?["state"] as? String, "ready")
    }

    /// A real Prometheus server (Debian's `prometheus`) scrapes the exporter every second; its
    /// query API answers with the stream and client counts while a stream plays.
    func testPrometheusServerScrapesTheExporter() throws {
        try XCTSkipUnless(Tool.available("prometheus"), "prometheus not installed (Debian package prometheus)")
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let exporter = FreePort.next()
        let srs = try SRSProcess(config: Self.config(workers: 2, exporter: exporter))
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("prom-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: srs
                static_configs:
                  - targets: ['127.0.0.1:\(exporter)']
            """.write(to: dir.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        let web = FreePort.next()
        let prometheus = try Tool("prometheus", ["--config.file=\(dir.path)/prometheus.yml", "--storage.tsdb.path=\(dir.path)/data",
                                                 "--web.listen-address=127.0.0.1:\(web)", "--log.level=warn"])
        defer { prometheus.stop() }
        try srs.waitListening(web, timeout: 20)
        try Deadline.require("Prometheus ready", timeout: 30, every: 0.2) {
            (try? HTTPClient.get(port: web, path: "/-/ready").status) == 200
        }

        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/promstream", seconds: 40)
        defer { pub.stop() }
        let players = (0..<3).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "promstream") }
        defer { players.forEach { $0.stop() } }

        func query(_ q: String) throws -> Double? {
            let path = "/api/v1/query?query=" + (q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? q)
            // Not ready (503) counts as no answer yet.
            let r = try HTTPClient.get(port: web, path: path)
            guard r.status == 200 else { return nil }
            let j = try r.json()
            let result = (j["data"] as? [String: Any])?["result"] as? [[String: Any]] ?? []
            guard let value = result.first?["value"] as? [Any], let s = value.last as? String else { return nil }
            return Double(s)
        }
        try Deadline.require("Prometheus sees the stream and its 3 viewers", timeout: 30, every: 0.5) {
            try query("srs_streams") == 1 && query("srs_stream_viewers{stream=\"promstream\"}") == 3
        }
        XCTAssertEqual(try query("srs_clients"), 4)
        XCTAssertEqual(try query("up{job=\"srs\"}"), 1)
        XCTAssertEqual(try query("count(srs_worker_connections)"), 2)
        XCTAssertEqual(try query("sum(srs_worker_state{state=\"ready\"})"), 2)
        XCTAssertGreaterThan(try query("srs_receive_bytes_total") ?? 0, 0)
        // The per-pod connections an HPA scales on (docs/observability.md).
        XCTAssertEqual(try query("sum(srs_clients)"), 4)
    }

    /// A reload, then a hot upgrade while clients stay on the old workers: the counters go up
    /// (and survive the master's re-exec), both generations have series, the old ones
    /// draining, and the totals still count the clients the old workers serve.
    func testReloadAndUpgradeCountersAndBothGenerations() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let binDir = FileManager.default.temporaryDirectory.appendingPathComponent("srs-bin-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: binDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: binDir) }
        let binary = binDir.appendingPathComponent("srs").path
        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.0")
        let exporter = FreePort.next()
        let srs = try SRSProcess(config: Self.config(workers: 2, exporter: exporter), binary: binary)
        defer { srs.stop() }
        try srs.waitListening()
        try srs.waitForLog(" ready, relay=", count: 2, timeout: 5)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/gen", seconds: 60)
        defer { pub.stop() }
        let players = (0..<3).map { _ in RTMPTestPlayer(port: srs.rtmpPort, stream: "gen") }
        defer { players.forEach { $0.stop() } }
        try Deadline.require("media at every player", timeout: 20, every: 0.1) { players.allSatisfy { $0.keyframes > 0 } }

        try srs.rewriteConfig(Self.config(workers: 2, exporter: exporter, extra: "chunk_size 4096;"))
        srs.signal(SIGHUP)
        try srs.waitForLog("reload config success.", timeout: 10)
        XCTAssertEqual(try scrape(exporter).0.value("srs_reloads_total"), 1)

        // The old workers that serve clients drain after the upgrade; one that serves none (the
        // kernel may hand all four connections to one worker) retires and exits at once.
        var holding = Set<Int>()
        try Deadline.require("the four clients in the API", timeout: 5, every: 0.1) {
            let clients = try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/clients/?count=100")["clients"] as? [[String: Any]] ?? []
            holding = Set(clients.compactMap { $0["worker"] as? Int })
            return clients.count == 4
        }
        try BinaryStamp.copy(SRSBinary.path, to: binary, version: "1.0.1")
        srs.signal(SIGUSR2)
        try srs.waitForLog("re-executed as SwiftSRS/1.0.1", timeout: 15)
        var m = MetricsText("")
        var text = ""
        try Deadline.require("both generations in the scrape", timeout: 10, every: 0.2) {
            (m, text) = try scrape(exporter)
            return Set(m.all("srs_worker_connections").compactMap { $0.labels["generation"] }) == ["1", "2"]
                && m.all("srs_worker_state", ["generation": "2", "state": "ready"]).filter { $0.value == 1 }.count == 2
        }
        XCTAssertEqual(m.value("srs_upgrades_total"), 1, text)
        XCTAssertEqual(m.value("srs_upgrade_failures_total"), 0)
        XCTAssertEqual(m.value("srs_reloads_total"), 1, "kept across the master's re-exec")
        XCTAssertEqual(m.value("srs_generation"), 2)
        XCTAssertEqual(m.all("srs_worker_state", ["generation": "1", "state": "draining"]).filter { $0.value == 1 }.count, holding.count, text)
        XCTAssertEqual(m.value("srs_clients"), 4, "the old workers' clients count: \(text)")
        XCTAssertEqual(m.value("srs_streams"), 1)
        XCTAssertEqual(m.value("srs_stream_viewers", ["stream": "gen"]), 3)
        let rows = (try HTTPClient.getJSON(port: srs.apiPort, path: "/api/v1/summaries")["data"] as? [String: Any])?["workers"] as? [[String: Any]] ?? []
        XCTAssertEqual(rows.map { "\($0["generation"] ?? "")-\($0["state"] ?? "")" }.sorted(),
                       Array(repeating: "1-draining", count: holding.count) + ["2-ready", "2-ready"])
    }

    /// Failed HLS writes (an hls_path where no directory can be made) count in
    /// srs_hls_write_errors_total; with the API's basic auth, /metrics stays open as SRS's
    /// (its auth covers /api/ paths only).
    func testHLSWriteErrorsAndAuth() throws {
        try XCTSkipUnless(Tool.available("ffmpeg"), "ffmpeg not installed")
        let exporter = FreePort.next()
        let srs = try SRSProcess(config: """
            listen {RTMP};
            daemon off;
            srs_log_tank console;
            pid ./objs/srs.pid;
            http_api { enabled on; listen {API}; auth { enabled on; username admin; password secret; } }
            exporter { enabled on; listen \(exporter); }
            vhost __defaultVhost__ {
                hls { enabled on; hls_fragment 1; hls_path ./blocked/hls; }
            }
            """)
        defer { srs.stop() }
        // A file where the HLS directory should be: every segment write fails.
        try Data("not a directory".utf8).write(to: srs.dir.appendingPathComponent("blocked"))
        try srs.waitListening()
        try srs.waitListening(exporter)
        XCTAssertEqual(try HTTPClient.get(port: exporter, path: "/api/v1/summaries").status, 401)
        func metrics() throws -> MetricsText {
            let r = try HTTPClient.get(port: exporter, path: "/metrics")
            guard r.status == 200 else { throw TestError("GET /metrics: \(r.status)") }
            return MetricsText(r.text)
        }
        XCTAssertEqual(try metrics().value("srs_hls_write_errors_total"), 0)
        let pub = try FFmpeg.publish(to: "rtmp://127.0.0.1:\(srs.rtmpPort)/live/nohls", seconds: 30)
        defer { pub.stop() }
        try Deadline.require("failed HLS writes counted", timeout: 15, every: 0.2) {
            try metrics().value("srs_hls_write_errors_total") ?? 0 > 0
        }
        XCTAssertEqual(try metrics().value("srs_dvr_write_errors_total"), 0)
    }

    /// With the exporter off, `/metrics` on the API's port answers SRS's error (1090).
    func testExporterOffAnswersSRSError() throws {
        let srs = try SRSProcess(config: MasterWorkerTests.config(workers: 1))
        defer { srs.stop() }
        try srs.waitListening(srs.apiPort)
        let j = try HTTPClient.getJSON(port: srs.apiPort, path: "/metrics")
        XCTAssertEqual(j["code"] as? Int, 1090)
    }
}
