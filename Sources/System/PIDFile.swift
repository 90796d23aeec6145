import Glibc

/// The pid file, locked with fcntl for the life of the process so a second instance on the same
/// file refuses to start (SRS: "srs is already running!").
public final class PIDFile {
    public let path: String
    /// Open (and locked) until `remove`.
    private let descriptor: FileDescriptor
    private var fd: Int32 { descriptor.rawValue }

    public enum Failure: Error, CustomStringConvertible {
        case alreadyRunning(path: String, pid: String)
        case system(SystemError)
        public var description: String {
            switch self {
            case .alreadyRunning(let path, let pid): return "srs is already running! pid=\(pid), file=\(path)"
            case .system(let e): return e.description
            }
        }
    }

    /// Creates/locks the file and writes our pid into it.
    public init(path: String) throws {
        self.path = path
        do { try FileSystem.makeDirectories(FileSystem.dirname(path)) } catch let e as SystemError { throw Failure.system(e) }
        let raw = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        if raw < 0 { throw Failure.system(SystemError("open", context: path)) }
        descriptor = FileDescriptor(adopting: raw)
        var lock = flock()
        lock.l_type = Int16(F_WRLCK)
        lock.l_whence = Int16(SEEK_SET)
        if fcntl(raw, F_SETLK, &lock) != 0 {
            let other = (try? FileSystem.readText(path))?.split(separator: "\n").first.map(String.init) ?? "?"
            throw Failure.alreadyRunning(path: path, pid: other)
        }
        try write(pid: getpid())
    }

    /// Rewrites the pid (after daemonizing).
    public func write(pid: pid_t) throws {
        let text = Array("\(pid)\n".utf8)
        if ftruncate(fd, 0) != 0 { throw Failure.system(SystemError("ftruncate", context: path)) }
        let n = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        if n != text.count { throw Failure.system(SystemError("write", context: path)) }
    }

    /// Removes the file (on exit).
    public func remove() {
        unlink(path)
        descriptor.close()
    }
}
