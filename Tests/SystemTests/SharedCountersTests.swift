import Glibc
import XCTest
import CSystem
@testable import System

final class SharedCountersTests: XCTestCase {
    func testTwoMappingsOfOneMemfdSeeTheSameCounters() throws {
        let master = try SharedCounters.create(rows: 4, name: "test-counters")
        let fd = try XCTUnwrap(master.fd)
        // What a worker does with the copy it receives: map it, close the fd.
        let worker = try SharedCounters(mapping: FileDescriptor(adopting: dup(fd.rawValue)), keepFD: false)
        XCTAssertNil(worker.fd)
        XCTAssertEqual(worker.rows, 4)
        worker.store(2, 1, 42)
        XCTAssertEqual(master.load(2, 1), 42)
        XCTAssertEqual(master.add(2, 1, -2), 40)
        XCTAssertEqual(worker.load(2, 1), 40)
        XCTAssertTrue(worker.compareExchange(2, 3, expected: 0, desired: 7))
        XCTAssertFalse(master.compareExchange(2, 3, expected: 0, desired: 8))
        XCTAssertEqual(master.load(2, 3), 7)
        master.store(0, 1, 5)
        XCTAssertEqual(worker.sum(1), 45)
        master.reset(2)
        XCTAssertEqual(worker.load(2, 1), 0)
        XCTAssertEqual(worker.load(2, 3), 0)
        XCTAssertEqual(worker.sum(1), 5)
    }

    func testTheFDSurvivesAsTheMasterKeepsIt() throws {
        let master = try SharedCounters.create(rows: 2, name: "test-counters")
        master.store(1, 0, 9)
        // After a re-exec the master maps the same fd again and keeps it.
        let again = try SharedCounters(mapping: FileDescriptor(adopting: dup(try XCTUnwrap(master.fd).rawValue)), keepFD: true)
        XCTAssertNotNil(again.fd)
        XCTAssertEqual(again.load(1, 0), 9)
    }

    func testAnythingElseIsRefused() throws {
        // A memfd of the right size but without the header.
        let fd = csys_memfd("not-counters", 4 * 64)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertThrowsError(try SharedCounters(mapping: FileDescriptor(adopting: fd), keepFD: false))
        // A pipe has no size to map.
        var p: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&p), 0)
        close(p[1])
        XCTAssertThrowsError(try SharedCounters(mapping: FileDescriptor(adopting: p[0]), keepFD: false))
        // Both fds were closed by the failed init.
        XCTAssertEqual(fcntl(fd, F_GETFD), -1)
        XCTAssertEqual(fcntl(p[0], F_GETFD), -1)
    }

    func testAnonymousTableStartsZeroed() throws {
        let t = try SharedCounters.anonymous(rows: 3)
        XCTAssertNil(t.fd)
        XCTAssertEqual(t.sum(0), 0)
        t.add(2, 7, 1)
        XCTAssertEqual(t.sum(7), 1)
    }

    func testOpenFileLimitIsNeverLowered() throws {
        let before = try OpenFileLimit.raise(to: 0)
        let after = try OpenFileLimit.raise(to: 1)
        XCTAssertEqual(after.soft, before.soft)
        let raised = try OpenFileLimit.raise(to: before.hard)
        XCTAssertEqual(raised.soft, before.hard)
    }
}
