import Foundation
import XCTest
import System
#if canImport(Glibc)
import Glibc
#endif

/// File writes on a full disk: a small tmpfs, so ENOSPC is real.
final class FileSystemTests: XCTestCase {
    private var mountPoint: String?

    /// Mounts a 64 KiB tmpfs on a fresh directory, or skips when this process may not mount.
    private func mountSmallTmpfs() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fs-full-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let mount = Process()
        mount.executableURL = URL(fileURLWithPath: "/bin/mount")
        mount.arguments = ["-t", "tmpfs", "-o", "size=64k", "tmpfs", dir]
        mount.standardOutput = FileHandle.nullDevice
        mount.standardError = FileHandle.nullDevice
        try? mount.run()
        mount.waitUntilExit()
        guard mount.terminationReason == .exit, mount.terminationStatus == 0 else {
            rmdir(dir)
            throw XCTSkip("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN): the full-disk test is skipped")
        }
        mountPoint = dir
        return dir
    }

    override func tearDown() {
        guard let dir = mountPoint else { return }
        let umount = Process()
        umount.executableURL = URL(fileURLWithPath: "/bin/umount")
        umount.arguments = [dir]
        try? umount.run()
        umount.waitUntilExit()
        rmdir(dir)
        mountPoint = nil
    }

    /// A write that runs out of space throws ENOSPC, leaves no temp file and keeps the old
    /// file; once space is back the next write succeeds.
    func testWriteAtomicallyOnAFullDiskRemovesItsTempFile() throws {
        let dir = try mountSmallTmpfs()
        let path = dir + "/a.ts"
        try FileSystem.writeAtomically(path, [UInt8](repeating: 1, count: 1000))
        XCTAssertThrowsError(try FileSystem.writeAtomically(path, [UInt8](repeating: 2, count: 256 * 1024))) { error in
            XCTAssertEqual((error as? SystemError)?.errno, ENOSPC, "\(error)")
            XCTAssertEqual((error as? SystemError)?.call, "write", "\(error)")
        }
        XCTAssertEqual(FileSystem.list(dir), ["a.ts"])
        XCTAssertEqual(try FileSystem.readFile(path), [UInt8](repeating: 1, count: 1000))
        // The failed write gave its space back: a file that fits is written.
        try FileSystem.writeAtomically(dir + "/b.ts", [UInt8](repeating: 3, count: 48 * 1024))
        XCTAssertEqual(FileSystem.info(dir + "/b.ts")?.size, 48 * 1024)
    }

    /// A write into a missing directory fails at open and creates nothing.
    func testWriteAtomicallyIntoAMissingDirectoryThrows() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fs-missing-\(UUID().uuidString.prefix(8))").path
        XCTAssertThrowsError(try FileSystem.writeAtomically(dir + "/x/a.ts", [1, 2, 3])) { error in
            XCTAssertEqual((error as? SystemError)?.errno, ENOENT, "\(error)")
        }
        XCTAssertFalse(FileSystem.exists(dir))
    }
}
