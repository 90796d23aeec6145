import Glibc

/// A file being written by appending, with writes over what it already holds (`pwrite`) for
/// fields known only at the end: a recording (DVR). Every call throws the failed syscall with
/// the path; short writes and EINTR are retried.
public final class WritableFile {
    public let path: String
    private var fd: Int32

    /// Creates `path` (truncating a stale one) for writing.
    public init(creating path: String, mode: mode_t = 0o644) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        if fd < 0 { throw SystemError("open", context: path) }
        self.path = path
        self.fd = fd
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public var isOpen: Bool { fd >= 0 }

    /// Appends all of `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("write", context: path)
            }
            off += n
        }
    }

    /// Writes `bytes` at `offset`, leaving the append position where it is.
    public func write(_ bytes: [UInt8], at offset: UInt64) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + off, $0.count - off, off_t(offset) + off_t(off)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemError("pwrite", context: path)
            }
            off += n
        }
    }

    /// Closes the file; a failed write-back reported by close(2) throws (the fd is released anyway).
    public func close() throws {
        guard fd >= 0 else { return }
        let r = Glibc.close(fd)
        fd = -1
        if r != 0 && errno != EINTR { throw SystemError("close", context: path) }
    }
}

extension FileSystem {
    /// rename(2).
    public static func move(_ from: String, to: String) throws {
        if Glibc.rename(from, to) != 0 { throw SystemError("rename", context: "\(from) -> \(to)") }
    }
}
