import CSystem
import Glibc

/// `daemon on`: the classic double fork, as SRS and nginx do, so the server leaves the terminal
/// and is adopted by init. Call before any thread or Dispatch work exists.
///
/// Better than SRS: the command that started the daemon does not return until the daemon says
/// it serves (listeners bound, pid file written) or failed, so its exit code means something to
/// init scripts and `Type=forking` units.
public enum Daemon {
    /// Returns in the daemon (grandchild) with the pipe to report readiness on; the original
    /// process waits for that report and exits 0 (ready) or 1 (the daemon failed or died).
    public static func daemonize() throws -> Readiness {
        var fds: [Int32] = [-1, -1]
        if pipe(&fds) != 0 { throw SystemError("pipe") }
        let readEnd = FileDescriptor(adopting: fds[0])
        let writeEnd = FileDescriptor(adopting: fds[1])
        readEnd.setInherited(false)
        writeEnd.setInherited(false)
        let pid = fork()
        if pid < 0 { throw SystemError("fork") }
        if pid > 0 {
            writeEnd.close()
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            var byte: UInt8 = 0
            var n: Int
            repeat { n = read(readEnd.rawValue, &byte, 1) } while n < 0 && errno == EINTR
            exit(n == 1 ? 0 : 1)
        }
        readEnd.close()
        if setsid() < 0 { throw SystemError("setsid") }
        let pid2 = fork()
        if pid2 < 0 { throw SystemError("fork") }
        if pid2 > 0 { exit(0) }
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            dup2(null, 0)
            dup2(null, 1)
            dup2(null, 2)
            if null > 2 { close(null) }
        }
        return Readiness(fd: writeEnd)
    }

    /// The daemon's side of the readiness pipe. Never reported ready, it closes with this object
    /// (or the process): the launcher sees EOF and exits 1.
    public final class Readiness {
        private let fd: FileDescriptor

        init(fd: FileDescriptor) { self.fd = fd }

        /// Tells the waiting launcher that the daemon serves (it exits 0).
        public func ready() {
            guard fd.isOpen else { return }
            var byte: UInt8 = 1
            _ = write(fd.rawValue, &byte, 1)
            fd.close()
        }
    }
}

/// The signals the server handles; blocked early so one arriving during start-up is not
/// fatal but waits for the signalfd that reads it.
public enum Signals {
    public static let handled: [Int32] = [SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH]

    public static func blockHandled() {
        _ = handled.withUnsafeBufferPointer { csys_block_signals($0.baseAddress, Int32($0.count)) }
    }
}
