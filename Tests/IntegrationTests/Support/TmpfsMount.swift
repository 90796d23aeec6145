import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// A small tmpfs on a fresh directory, for disk-full tests: a real ENOSPC without touching the
/// machine's disks. Needs root (or CAP_SYS_ADMIN); skips the test otherwise. `unmount()` in
/// teardown.
final class TmpfsMount {
    let path: String
    private var filler: String { path + "/.filler" }

    init(sizeKB: Int) throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let (status, out) = try Tool.run("mount", ["-t", "tmpfs", "-o", "size=\(sizeKB)k", "tmpfs", path], timeout: 10)
        if status != 0 {
            rmdir(path)
            throw XCTSkip("cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN), so no real full disk: \(out)")
        }
    }

    /// Fills the file system with a filler file until ENOSPC. A file being appended to may still
    /// have room in its last page: `topUp` files get that room filled with newline-terminated
    /// filler lines, so that their next write fails too. Returns the bytes it took.
    @discardableResult
    func fill(topUp: [String] = []) -> Int {
        var total = Self.append(filler, [UInt8](repeating: 0, count: 4096))
        for f in topUp { total += Self.append(f, Array("-- disk full --\n".utf8)) }
        return total
    }

    private static func append(_ path: String, _ chunk: [UInt8]) -> Int {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        var total = 0
        while true {
            let n = chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n <= 0 { return total }
            total += n
        }
    }

    /// Gives the filler's space back.
    func free() { unlink(filler) }

    /// Bytes free, as statvfs reports them.
    var freeBytes: Int {
        var st = statvfs()
        guard statvfs(path, &st) == 0 else { return 0 }
        return Int(st.f_bavail) * Int(st.f_frsize)
    }

    /// Names of regular files under the mount (recursively), relative to it.
    func files() -> [String] {
        let e = FileManager.default.enumerator(atPath: path)
        var out: [String] = []
        while let name = e?.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &isDir), !isDir.boolValue { out.append(name) }
        }
        return out
    }

    func unmount() {
        if (try? Tool.run("umount", [path], timeout: 10))?.0 != 0 {
            // Still busy (a process of a failed test): detach it so the directory can go.
            _ = try? Tool.run("umount", ["-l", path], timeout: 10)
        }
        rmdir(path)
    }
}
