import Core
import XCTest
import System
@testable import App

/// Several workers' views of one table, in one process (the table is the same shared memory
/// the master passes to its workers).
final class ConnectionQuotaTests: XCTestCase {
    typealias F = ConnectionTable.Field

    func workers(_ n: Int, rows: Int = 8) throws -> (SharedCounters, [ConnectionQuota]) {
        let table = try SharedCounters.anonymous(rows: rows)
        var taken: Set<Int> = []
        let quotas = try (0..<n).map { i -> ConnectionQuota in
            let row = try XCTUnwrap(ConnectionTable.claimRow(in: table, pid: Int32(100 + i), taken: taken))
            taken.insert(row)
            return try XCTUnwrap(ConnectionQuota(table: table, row: row))
        }
        return (table, quotas)
    }

    func testOneWorkerMayTakeTheWholeLimit() throws {
        let (_, q) = try workers(2)
        var held = 0
        while q[0].reserve(current: held, limit: 10) { held += 1 }
        XCTAssertEqual(held, 10, "a worker is not limited to its even share")
        XCTAssertEqual(q[0].total, 10)
        XCTAssertFalse(q[1].reserve(current: 0, limit: 10), "the server is full")
        XCTAssertEqual(q[1].total, 10, "a refused reservation is taken back")
        q[0].publish(connections: 9)
        XCTAssertTrue(q[1].reserve(current: 0, limit: 10))
        XCTAssertEqual(q[0].total, 10)
    }

    func testRacingReservationsNeverExceedTheLimit() throws {
        // Interleave the steps of two workers' reservations for the last place: whichever
        // order, at most one gets it (the reservation is visible before the total is read).
        let (table, q) = try workers(2)
        q[0].publish(connections: 9)
        // Worker 1 has published its reservation but not read the total yet, when worker 0's
        // whole reservation runs: worker 0 sees 11 and refuses; worker 1 then sees 10 and admits.
        table.store(q[1].row, F.connections, 1)
        XCTAssertFalse(q[0].reserve(current: 9, limit: 10))
        XCTAssertLessThanOrEqual(table.sum(F.connections), 10)
        XCTAssertEqual(q[0].total, 10)
    }

    func testEvictionRequestsGoToTheWorkerWithTheMostWaitingAndAreBounded() throws {
        let (table, q) = try workers(3)
        XCTAssertFalse(q[0].requestEviction(), "nobody has a connection to evict")
        q[1].publish(waiting: 2)
        q[2].publish(waiting: 20)
        XCTAssertTrue(q[0].requestEviction())
        XCTAssertEqual(table.load(q[2].row, F.evictRequests), 1)
        // At most maxPendingRequests per worker, and never more than it has waiting.
        var asked = 1
        while q[0].requestEviction() { asked += 1 }
        XCTAssertEqual(table.load(q[2].row, F.evictRequests), ConnectionQuota.maxPendingRequests)
        XCTAssertEqual(table.load(q[1].row, F.evictRequests), 2)
        XCTAssertEqual(Int64(asked), ConnectionQuota.maxPendingRequests + 2)
        XCTAssertFalse(q[0].requestEviction(), "the over-admission is bounded")
        // The asked workers serve them (and later requests start again from zero).
        XCTAssertEqual(q[2].takeEvictionRequests(), Int(ConnectionQuota.maxPendingRequests))
        XCTAssertEqual(q[2].takeEvictionRequests(), 0)
        XCTAssertEqual(q[1].takeEvictionRequests(), 2)
        XCTAssertTrue(q[0].requestEviction())
    }

    func testADeadWorkersRowIsReleasedAndReused() throws {
        let (table, q) = try workers(2, rows: 2)
        XCTAssertNil(ConnectionTable.claimRow(in: table, pid: 300, taken: [q[0].row, q[1].row]), "the table is full")
        q[1].publish(connections: 7)
        q[1].publish(waiting: 3)
        XCTAssertEqual(q[0].total, 7)
        // The master reaps worker 1: its connections are gone with it.
        ConnectionTable.releaseRow(q[1].row, in: table)
        XCTAssertEqual(q[0].total, 0)
        XCTAssertFalse(q[0].requestEviction())
        let row = try XCTUnwrap(ConnectionTable.claimRow(in: table, pid: 301, taken: [q[0].row]))
        XCTAssertEqual(row, q[1].row)
        XCTAssertEqual(table.load(row, F.owner), 301)
        XCTAssertNil(ConnectionQuota(table: table, row: 2), "a row outside the table")
    }
}
