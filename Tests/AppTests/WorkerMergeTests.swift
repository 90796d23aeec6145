import Protocol
import XCTest
@testable import App

/// How the asking worker merges the parts of a gather (`HTTPAPI+Workers.swift`,
/// `HTTPAPI.mergedStreams`): streams once each, published only; a row per worker, starting ones
/// from the master's part.
final class WorkerMergeTests: XCTestCase {
    private func stream(_ id: String, active: Bool, clients: Int64, worker: Int64) -> JSONValue {
        ["id": .string(id), "url": .string("/live/\(id)"), "clients": .int(clients), "send_bytes": .int(10),
         "kbps": ["recv_30s": .int(100), "send_30s": .int(5)], "publish": ["active": .bool(active), "cid": .null],
         "worker": .int(worker)]
    }

    func testStreamsMergeAcrossWorkersAndOnlyPublishedOnesCount() {
        let merged = HTTPAPI.mergedStreams([
            stream("b", active: false, clients: 3, worker: 1),  // relayed to worker 1: its players
            stream("b", active: true, clients: 2, worker: 0),   // published on worker 0
            stream("a", active: false, clients: 1, worker: 0),  // its publisher left: not listed
        ])
        XCTAssertEqual(merged.count, 1)
        XCTAssertEqual(merged.first?["clients"]?.intValue, 5)
        XCTAssertEqual(merged.first?["worker"]?.intValue, 0, "the publisher's worker")
        XCTAssertEqual(merged.first?["send_bytes"]?.intValue, 20)
        XCTAssertEqual(merged.first?["kbps"]?["send_30s"]?.intValue, 10)
        XCTAssertEqual(merged.first?["kbps"]?["recv_30s"]?.intValue, 100, "received once, by the publisher's worker")
    }

    func testWorkerRowsTakeStartingWorkersFromTheMaster() {
        let worker: JSONValue = ["pid": 11, "index": 1, "generation": 2, "state": "ready", "conns": 3, "rss_kb": 9000,
                                 "cpu_percent": .number(0.123), "uptime": 5]
        let master: JSONValue = ["master": ["generation": 2, "workers": [
            ["pid": 11, "index": 1, "generation": 2, "state": "ready", "uptime": 5],
            ["pid": 12, "index": 0, "generation": 2, "state": "starting", "uptime": 0],
        ]]]
        let (workers, m) = HTTPAPI.split([worker, master])
        XCTAssertEqual(workers.count, 1)
        XCTAssertNotNil(m)
        let rows = HTTPAPI.workerRows(workers, master: m)
        XCTAssertEqual(rows.map { $0["pid"]?.intValue }, [12, 11])
        XCTAssertEqual(rows.map { $0["state"]?.stringValue }, ["starting", "ready"])
        XCTAssertEqual(rows[1]["mem_kbyte"]?.intValue, 9000)
        XCTAssertEqual(rows[1]["conns"]?.intValue, 3)
    }
}
