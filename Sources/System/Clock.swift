import Glibc
import Kernel

/// Monotonic and wall clocks in milliseconds.
public enum Clock {
    /// Milliseconds on CLOCK_MONOTONIC (never jumps; use for timeouts).
    public static func monotonicMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Milliseconds since the Unix epoch (wall clock; for logs and file names).
    public static func wallMs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Local broken-down time of a wall-clock instant.
    public struct LocalTime: Sendable {
        public var year, month, day, hour, minute, second, millisecond: Int
    }

    public static func localTime(_ wallMs: Int64) -> LocalTime {
        var t = time_t(wallMs / 1000)
        var tmv = tm()
        localtime_r(&t, &tmv)
        return LocalTime(year: Int(tmv.tm_year) + 1900, month: Int(tmv.tm_mon) + 1, day: Int(tmv.tm_mday),
                         hour: Int(tmv.tm_hour), minute: Int(tmv.tm_min), second: Int(tmv.tm_sec),
                         millisecond: Int(wallMs % 1000))
    }
}

/// The process's fast generator (see `Kernel.FastRandom`), seeded once from the system.
public enum ProcessRandom {
    nonisolated(unsafe) public static var generator: FastRandom = {
        var s = SystemRandomNumberGenerator()
        return FastRandom(seed: s.next())
    }()
}
