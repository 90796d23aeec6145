import CSystem
import Glibc

/// The open-file limit (RLIMIT_NOFILE): every client is a descriptor, so a worker that may hold
/// all of `max_connections` needs at least that many.
public enum OpenFileLimit {
    /// Raises the soft limit towards `wanted` (up to the hard limit; never lowers it) and
    /// returns the limits now in force.
    public static func raise(to wanted: Int) throws -> (soft: Int, hard: Int) {
        var soft: Int64 = 0
        var hard: Int64 = 0
        if csys_raise_nofile(Int64(wanted), &soft, &hard) != 0 { throw SystemError("getrlimit", context: "RLIMIT_NOFILE") }
        return (Int(soft), Int(hard))
    }
}
