import CSRT
import Glibc

/// libsrt's process-wide state: `srt_startup` once, before the first socket.
public enum SRTLibrary {
    private static let started: Void = {
        _ = srt_startup()
        // libsrt logs to stderr from its own threads, and at error level about ordinary things
        // (1.5.1: "srt_accept: no pending connection available" on every empty non-blocking
        // accept). Our log is not for other threads: keep only libsrt's critical lines. What a
        // connection went through is logged by its owner, from the loop (errors, statistics).
        srt_setloglevel(LOG_CRIT)
    }()

    /// Starts libsrt (once per process; later calls do nothing). Call it after the signal mask
    /// of the loop thread is set: libsrt's threads inherit it.
    public static func start() {
        _ = started
    }

    /// libsrt's version as `major.minor.patch`.
    public static var version: String {
        let v = srt_getversion()
        return "\(v >> 16).\((v >> 8) & 0xFF).\(v & 0xFF)"
    }
}
