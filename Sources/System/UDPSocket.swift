import CSystem
import Glibc

/// UDP sockets. For now only what SRT needs: a bound socket that libsrt takes over
/// (`srt_bind_acquire`), so that several workers can share the port with SO_REUSEPORT (libsrt's
/// own bind sets neither SO_REUSEADDR nor SO_REUSEPORT).
public enum UDPSocket {
    /// A blocking, CLOEXEC UDP socket bound to host:port (SO_REUSEADDR, and SO_REUSEPORT when
    /// asked). Blocking on purpose: libsrt's receive thread waits in select() before each read
    /// and its send thread must not drop packets on EAGAIN.
    public static func bind(host: String, port: Int, reusePort: Bool) throws -> Int32 {
        let fd = csys_udp_bind(host, Int32(port), reusePort ? 1 : 0)
        if fd < 0 { throw SystemError("bind", context: "udp \(host):\(port)") }
        return fd
    }

    /// `fd` itself when its number is below FD_SETSIZE (1024), else a CLOEXEC duplicate that is
    /// (`fd` is closed): libsrt 1.5's receive thread select()s on its socket. Throws (closing
    /// `fd`) when no number that low is free.
    public static func belowSelectLimit(_ fd: Int32) throws -> Int32 {
        if fd < 1024 { return fd }
        let low = fcntl(fd, F_DUPFD_CLOEXEC, 3)
        let saved = errno
        Glibc.close(fd)
        guard low >= 0 else {
            errno = saved
            throw SystemError("fcntl", context: "F_DUPFD_CLOEXEC of udp fd \(fd)")
        }
        guard low < 1024 else {
            Glibc.close(low)
            errno = EMFILE
            throw SystemError("fcntl", context: "no fd below 1024 for udp fd \(fd)")
        }
        return low
    }

    /// Closes a socket nobody took over.
    public static func close(_ fd: Int32) { Glibc.close(fd) }
}
