import Foundation
import Protocol
import XCTest

/// `PrometheusText` output checked by Prometheus's own `promtool check metrics` (Debian's
/// `prometheus` package; tools/test.sh installs it): it parses, and passes the naming lints.
final class PromtoolTests: XCTestCase {
    private func check(_ text: String) throws -> (Int32?, String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("metrics-\(UUID().uuidString.prefix(8)).txt")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try Tool.run("/bin/sh", ["-c", "promtool check metrics < \"$1\"", "sh", file.path], timeout: 20)
    }

    func testExpositionPassesPromtool() throws {
        try XCTSkipUnless(Tool.available("promtool"), "promtool not installed (Debian package prometheus)")
        var m = PrometheusText()
        m.gauge("srs_build_info", help: "A metric with a constant '1' value labeled by build_date, version from which SRS was built.",
                labels: [("server", "vid-x"), ("service", "s"), ("pid", "1"), ("version", "7.0.18"), ("label", "cn\\beijing"), ("tag", "edge \"1\"")], 1)
        m.gauge("srs_cpu_percent", help: "SRS cpu used percent.", 0.125)
        m.gauge("srs_memory", help: "SRS memory used.", 17460)
        m.counter("srs_send_bytes_total", help: "SRS total sent bytes.", 4384)
        m.counter("srs_receive_bytes_total", help: "SRS total received bytes.", 59281)
        m.gauge("srs_streams", help: "The number of SRS concurrent streams.", 2)
        m.gauge("srs_clients", help: "The number of SRS concurrent clients.", 3)
        m.counter("srs_clients_total", help: "The total counts of SRS clients.", 7)
        m.counter("srs_clients_errs_total", help: "The total errors of SRS clients.", 1)
        for (worker, generation, state) in [("1", "2", "ready"), ("0", "2", "ready"), ("0", "1", "draining")] {
            let labels = [("worker", worker), ("generation", generation), ("state", state)]
            m.gauge("srs_worker_connections", help: "Connections per worker process.", labels: labels, 4)
            m.gauge("srs_worker_cpu_ratio", help: "CPU per worker process, in cores.", labels: labels, .nan)
        }
        // Stream names are chosen by publishers: quotes, backslashes, newlines, non-ASCII.
        for stream in ["livestream", "a\"b\\c\nd", "中文 😀", "tab\there"] {
            let labels = [("vhost", "__defaultVhost__"), ("app", "live"), ("stream", stream)]
            m.gauge("srs_stream_viewers", help: "Players per stream.", labels: labels, 2)
            m.counter("srs_stream_receive_bytes_total", help: "Bytes received from each stream's publisher.", labels: labels, 1e12)
        }
        m.counter("srs_reloads_total", help: "Configuration reloads.", 0)
        let (status, out) = try check(m.encode())
        XCTAssertEqual(status, 0, out + "\n" + m.encode())
        XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "")

        // promtool does check: an unescaped quote is refused.
        let (bad, why) = try check("# HELP x X.\n# TYPE x gauge\nx{s=\"a\"b\"} 1\n")
        XCTAssertNotEqual(bad, 0, why)
    }
}
