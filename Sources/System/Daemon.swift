import Glibc

/// `daemon on`: the classic double fork, as SRS and nginx do, so the server leaves the terminal
/// and is adopted by init. Call before any thread or Dispatch work exists.
public enum Daemon {
    /// Returns in the daemon (grandchild); the original process and the intermediate one exit 0.
    public static func daemonize() throws {
        let pid = fork()
        if pid < 0 { throw SystemError("fork") }
        if pid > 0 {
            // The caller's shell waits for the first child to exit, so the daemon is running when we return.
            var status: Int32 = 0
            waitpid(pid, &status, 0)
            exit(0)
        }
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
    }
}
