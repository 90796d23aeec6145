import Glibc
import XCTest
@testable import System

final class FileDescriptorTests: XCTestCase {
    private func isOpen(_ raw: Int32) -> Bool { fcntl(raw, F_GETFD) != -1 }

    private func pipeFDs() -> (Int32, Int32) {
        var p: [Int32] = [-1, -1]
        XCTAssertEqual(pipe(&p), 0)
        return (p[0], p[1])
    }

    func testClosesExactlyOnce() {
        let (r, w) = pipeFDs()
        close(w)
        var fd: FileDescriptor? = FileDescriptor(adopting: r)
        fd?.close()
        XCTAssertFalse(isOpen(r))
        // The number is reused by the next open; the owner that closed it must not close it again.
        let (r2, w2) = pipeFDs()
        defer { close(r2); close(w2) }
        XCTAssertTrue(r2 == r || w2 == r)
        fd?.close()
        fd = nil
        XCTAssertTrue(isOpen(r2) && isOpen(w2))
    }

    func testTheLastReferenceCloses() {
        let (r, w) = pipeFDs()
        close(w)
        var fd: FileDescriptor? = FileDescriptor(adopting: r)
        var borrower = fd
        fd = nil
        XCTAssertTrue(isOpen(r), "a borrower keeps it open")
        XCTAssertNotNil(borrower)
        borrower = nil
        XCTAssertFalse(isOpen(r))
    }

    func testReleaseHandsTheNumberOver() {
        let (r, w) = pipeFDs()
        close(w)
        var fd: FileDescriptor? = FileDescriptor(adopting: r)
        XCTAssertEqual(fd?.release(), r)
        XCTAssertEqual(fd?.isOpen, false)
        fd = nil
        XCTAssertTrue(isOpen(r), "the new owner closes it")
        close(r)
    }

    func testInheritedTogglesCloseOnExec() {
        let (r, w) = pipeFDs()
        close(w)
        let fd = FileDescriptor(adopting: r)
        fd.setInherited(false)
        XCTAssertEqual(fcntl(r, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC)
        fd.setInherited(true)
        XCTAssertEqual(fcntl(r, F_GETFD) & FD_CLOEXEC, 0)
    }
}
