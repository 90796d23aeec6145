import XCTest
@testable import Protocol

final class PrometheusTextTests: XCTestCase {
    /// SRS 7's exporter families, as its `/metrics` answered (reference capture, metrics.txt),
    /// byte for byte.
    func testSRSExporterTextByteForByte() {
        var m = PrometheusText()
        m.gauge("srs_node_uname_info", help: "Labeled system information as provided by the uname system call.",
                labels: [("sysname", "Linux"), ("nodename", "vm"), ("release", "6.18.44-fc-v1272"),
                         ("version", "#1 SMP PREEMPT_DYNAMIC @0"), ("machine", "x86_64")], 1)
        m.gauge("srs_build_info", help: "A metric with a constant '1' value labeled by build_date, version from which SRS was built.",
                labels: [("server", "vid-90dh6c5"), ("service", "605eju5l"), ("pid", "10316"), ("build_date", "2026-12-06 07:53:14"),
                         ("major", "7"), ("version", "7.0.18"), ("code", "Hang"), ("label", "cn-beijing"), ("tag", "cn-edge")], 1)
        m.gauge("srs_cpu_percent", help: "SRS cpu used percent.", 0)
        m.gauge("srs_memory", help: "SRS memory used.", 17460)
        m.counter("srs_send_bytes_total", help: "SRS total sent bytes.", 4384)
        m.counter("srs_receive_bytes_total", help: "SRS total received bytes.", 59281)
        m.gauge("srs_streams", help: "The number of SRS concurrent streams.", 1)
        m.gauge("srs_clients", help: "The number of SRS concurrent clients.", 2)
        m.counter("srs_clients_total", help: "The total counts of SRS clients.", 2)
        m.counter("srs_clients_errs_total", help: "The total errors of SRS clients.", 0)
        XCTAssertEqual(m.encode(), """
            # HELP srs_node_uname_info Labeled system information as provided by the uname system call.
            # TYPE srs_node_uname_info gauge
            srs_node_uname_info{sysname="Linux",nodename="vm",release="6.18.44-fc-v1272",version="#1 SMP PREEMPT_DYNAMIC @0",machine="x86_64"} 1
            # HELP srs_build_info A metric with a constant '1' value labeled by build_date, version from which SRS was built.
            # TYPE srs_build_info gauge
            srs_build_info{server="vid-90dh6c5",service="605eju5l",pid="10316",build_date="2026-12-06 07:53:14",major="7",version="7.0.18",code="Hang",label="cn-beijing",tag="cn-edge"} 1
            # HELP srs_cpu_percent SRS cpu used percent.
            # TYPE srs_cpu_percent gauge
            srs_cpu_percent 0
            # HELP srs_memory SRS memory used.
            # TYPE srs_memory gauge
            srs_memory 17460
            # HELP srs_send_bytes_total SRS total sent bytes.
            # TYPE srs_send_bytes_total counter
            srs_send_bytes_total 4384
            # HELP srs_receive_bytes_total SRS total received bytes.
            # TYPE srs_receive_bytes_total counter
            srs_receive_bytes_total 59281
            # HELP srs_streams The number of SRS concurrent streams.
            # TYPE srs_streams gauge
            srs_streams 1
            # HELP srs_clients The number of SRS concurrent clients.
            # TYPE srs_clients gauge
            srs_clients 2
            # HELP srs_clients_total The total counts of SRS clients.
            # TYPE srs_clients_total counter
            srs_clients_total 2
            # HELP srs_clients_errs_total The total errors of SRS clients.
            # TYPE srs_clients_errs_total counter
            srs_clients_errs_total 0

            """)
    }

    func testLabelValuesAndHelpAreEscaped() {
        var m = PrometheusText()
        m.gauge("srs_stream_viewers", help: "Viewers\\per stream\nnow \"live\".",
                labels: [("stream", "a\"b\\c\nd\re\té中😀")], 3)
        XCTAssertEqual(m.encode(), """
            # HELP srs_stream_viewers Viewers\\\\per stream\\nnow "live".
            # TYPE srs_stream_viewers gauge
            srs_stream_viewers{stream="a\\"b\\\\c\\nd\re\té中😀"} 3

            """)
    }

    /// Families in the order first added, samples sorted by labels whatever order they came in,
    /// a second sample with the same labels replacing the first; a family's help and kind are
    /// its first sample's.
    func testDeterministicOrder() {
        let samples: [(String, Double)] = [("2", 20), ("0", 0), ("10", 100), ("1", 10)]
        var texts = Set<String>()
        for order in [samples, samples.reversed(), samples.shuffled()] {
            var m = PrometheusText()
            m.gauge("srs_up", help: "Up.", 1)
            for (worker, v) in order { m.gauge("srs_worker_connections", help: "Connections per worker.", labels: [("worker", worker)], v) }
            m.counter("srs_worker_connections", help: "ignored", labels: [("worker", "1")], 11)
            texts.insert(m.encode())
        }
        XCTAssertEqual(texts, ["""
            # HELP srs_up Up.
            # TYPE srs_up gauge
            srs_up 1
            # HELP srs_worker_connections Connections per worker.
            # TYPE srs_worker_connections gauge
            srs_worker_connections{worker="0"} 0
            srs_worker_connections{worker="1"} 11
            srs_worker_connections{worker="10"} 100
            srs_worker_connections{worker="2"} 20

            """])
    }

    func testValues() {
        XCTAssertEqual(PrometheusText.format(0), "0")
        XCTAssertEqual(PrometheusText.format(-0.0), "0")
        XCTAssertEqual(PrometheusText.format(17460), "17460")
        XCTAssertEqual(PrometheusText.format(-3), "-3")
        XCTAssertEqual(PrometheusText.format(0.25), "0.25")
        XCTAssertEqual(PrometheusText.format(1e-7), "1e-07")
        XCTAssertEqual(PrometheusText.format(1e20), "1e+20")
        XCTAssertEqual(PrometheusText.format(9_007_199_254_740_991), "9007199254740991")
        XCTAssertEqual(PrometheusText.format(.nan), "NaN")
        XCTAssertEqual(PrometheusText.format(.infinity), "+Inf")
        XCTAssertEqual(PrometheusText.format(-.infinity), "-Inf")
    }

    func testInvalidNamesBecomeValid() {
        XCTAssertEqual(PrometheusText.sanitized("srs:clients_1", allowColon: true), "srs:clients_1")
        XCTAssertEqual(PrometheusText.sanitized("srs:clients", allowColon: false), "srs_clients")
        XCTAssertEqual(PrometheusText.sanitized("1st-stream é", allowColon: true), "_st_stream__")
        XCTAssertEqual(PrometheusText.sanitized("", allowColon: false), "_")
        var m = PrometheusText()
        XCTAssertTrue(m.isEmpty)
        m.gauge("srs-up", help: "", labels: [("a-b", "c"), ("9", "d")], 1)
        XCTAssertFalse(m.isEmpty)
        XCTAssertEqual(m.encode(), "# HELP srs_up \n# TYPE srs_up gauge\nsrs_up{a_b=\"c\",_=\"d\"} 1\n")
    }

    func testEmpty() {
        XCTAssertEqual(PrometheusText().encode(), "")
        XCTAssertEqual(PrometheusText.contentType, "text/plain; version=0.0.4; charset=utf-8")
    }
}
