import Glibc

/// Microsecond monotonic time, finer than the loop's millisecond clock, for latencies.
enum MicroClock {
    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }
}
