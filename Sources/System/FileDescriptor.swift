import CSystem
import Glibc

/// An open file descriptor and its owner: it is closed exactly once, by `close()` or when the
/// last reference goes, unless it was handed over (`release()`: to a C call that closes it, or a
/// process image that inherits it). Every fd the server keeps lives in one of these: sockets
/// (`StreamSocket`, `TCPListener`, `MessageChannel`), the descriptors a channel passes, the
/// shared memory of `SharedCounters`, the loop's epoll, signalfd and inotify fds.
///
/// A final class rather than a `~Copyable` struct: the master keeps its listeners in a
/// dictionary and sends them in arrays, and Swift's standard collections do not hold
/// noncopyable values. Sharing a reference is how a borrower (a channel with a queued message
/// carrying the fd) keeps it open until it is done; whoever drops the last reference closes it.
public final class FileDescriptor: CustomStringConvertible {
    /// The descriptor number; -1 once closed or released.
    public private(set) var rawValue: Int32

    /// Takes ownership of `rawValue` (an fd just opened, received or inherited).
    public init(adopting rawValue: Int32) {
        self.rawValue = rawValue
    }

    deinit { close() }

    public var isOpen: Bool { rawValue >= 0 }

    /// Closes it now (idempotent). A close that fails (EIO on a file) still releases the number.
    public func close() {
        guard rawValue >= 0 else { return }
        Glibc.close(rawValue)
        rawValue = -1
    }

    /// Hands the number over to a new owner; this object then owns nothing.
    public func release() -> Int32 {
        let fd = rawValue
        rawValue = -1
        return fd
    }

    /// Whether the fd survives an exec (the master's re-exec keeps its listeners and channels);
    /// every fd is opened CLOEXEC.
    public func setInherited(_ inherited: Bool) {
        guard rawValue >= 0 else { return }
        _ = csys_set_cloexec(rawValue, inherited ? 0 : 1)
    }

    public var description: String { "\(rawValue)" }
}
