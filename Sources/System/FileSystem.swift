import Glibc

/// File helpers over raw syscalls (no Foundation in the server).
public enum FileSystem {
    /// Reads a whole file.
    public static func readFile(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", context: path) }
        defer { close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("read", context: path)
            }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// Reads a whole file as UTF-8 text.
    public static func readText(_ path: String) throws -> String {
        String(decoding: try readFile(path), as: UTF8.self)
    }

    /// Writes `bytes` to `path` atomically: a temp file in the same directory, fsync-free, then
    /// rename(2), so a reader (nginx serving HLS) never sees a partial file. On any failure the
    /// temp file is removed and `path` is left as it was.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        let tmp = path + ".tmp"
        do {
            try writeFile(tmp, bytes, mode: mode)
        } catch {
            // A short write (ENOSPC, EDQUOT, EIO) leaves a partial temp file that would hold the
            // space it took, and no later write would reuse it while the fault lasts.
            unlink(tmp)
            throw error
        }
        if Glibc.rename(tmp, path) != 0 {
            let e = SystemError("rename", context: "\(tmp) -> \(path)")
            unlink(tmp)
            throw e
        }
    }

    /// Writes (truncates) a file. A failure may leave a partial file (see `writeAtomically`).
    public static func writeFile(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        try writeFlags(path, bytes, flags: O_TRUNC, mode: mode)
    }

    /// Appends to a file, creating it if needed (a file that grows in pieces, e.g. an HLS
    /// segment under its temp name). A failure may leave a partial piece written.
    public static func append(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644) throws {
        try writeFlags(path, bytes, flags: O_APPEND, mode: mode)
    }

    /// rename(2).
    public static func rename(_ from: String, to: String) throws {
        if Glibc.rename(from, to) != 0 { throw SystemError("rename", context: "\(from) -> \(to)") }
    }

    private static func writeFlags(_ path: String, _ bytes: [UInt8], flags: Int32, mode: mode_t) throws {
        let fd = open(path, O_WRONLY | O_CREAT | flags | O_CLOEXEC, mode)
        if fd < 0 { throw SystemError("open", context: path) }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                let e = SystemError("write", context: path)
                close(fd)
                throw e
            }
            off += n
        }
        // Some file systems (NFS, quotas) report a failed write-back only here. On Linux the fd
        // is released even when close fails with EINTR, so it is never retried.
        if close(fd) != 0 && errno != EINTR { throw SystemError("close", context: path) }
    }

    /// mkdir -p.
    public static func makeDirectories(_ path: String, mode: mode_t = 0o755) throws {
        if path.isEmpty { return }
        var built = path.hasPrefix("/") ? "/" : ""
        for part in path.split(separator: "/") where !part.isEmpty {
            built += built.isEmpty || built.hasSuffix("/") ? String(part) : "/" + part
            if mkdir(built, mode) != 0 && errno != EEXIST {
                throw SystemError("mkdir", context: built)
            }
        }
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    public static func remove(_ path: String) { unlink(path) }

    /// The directory part of a path ("." when there is none).
    public static func dirname(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of a path.
    public static func basename(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }
}

extension FileSystem {
    /// What `stat(2)` says about a path, or nil if it does not exist.
    public struct Info: Sendable {
        public var isDirectory: Bool
        public var isRegular: Bool
        public var size: Int
        public var modifiedSeconds: Int
    }

    public static func info(_ path: String) -> Info? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        let mode = st.st_mode & S_IFMT
        return Info(isDirectory: mode == S_IFDIR, isRegular: mode == S_IFREG, size: Int(st.st_size),
                    modifiedSeconds: Int(st.st_mtim.tv_sec))
    }

    /// Reads `count` bytes at `offset` (fewer at the end of the file).
    public static func read(_ path: String, offset: Int, count: Int) throws -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 { throw SystemError("open", context: path) }
        defer { close(fd) }
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + got, count - got, off_t(offset + got)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("pread", context: path)
            }
            if n == 0 { break }
            got += n
        }
        out.removeSubrange(got..<count)
        return out
    }

    /// Names in a directory (without . and ..), or [] if it cannot be read.
    public static func list(_ path: String) -> [String] {
        guard let d = opendir(path) else { return [] }
        defer { closedir(d) }
        var out: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name != "." && name != ".." { out.append(name) }
        }
        return out
    }

    /// Removes an empty directory.
    public static func removeDirectory(_ path: String) { rmdir(path) }
}
