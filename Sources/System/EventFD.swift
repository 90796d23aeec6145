import CSystem
import Glibc

/// An eventfd (CLOEXEC, non-blocking): a counter another thread bumps to wake the loop. The
/// loop watches `fd` for reading and calls `drain()` before looking at what it was told.
public final class EventFD {
    private let descriptor: FileDescriptor
    /// The fd to watch (owned here).
    public var fd: Int32 { descriptor.rawValue }

    public init() throws {
        let fd = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        if fd < 0 { throw SystemError("eventfd") }
        descriptor = FileDescriptor(adopting: fd)
    }

    /// Adds one to the counter (from any thread).
    public func signal() {
        var one: UInt64 = 1
        while Glibc.write(fd, &one, 8) < 0 && errno == EINTR {}
    }

    /// Resets the counter; returns its value (0 when it was not signalled).
    @discardableResult
    public func drain() -> UInt64 {
        var value: UInt64 = 0
        while true {
            let n = Glibc.read(fd, &value, 8)
            if n == 8 { return value }
            if n < 0 && errno == EINTR { continue }
            return 0
        }
    }
}
