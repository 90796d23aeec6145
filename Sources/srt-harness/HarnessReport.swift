import Glibc
import Protocol

/// JSON lines appended to the report file (or printed), one event each.
struct HarnessReport {
    private let fd: Int32

    init(path: String) throws {
        if path.isEmpty {
            fd = 1
        } else {
            fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            if fd < 0 { throw HarnessError("cannot open \(path)") }
        }
    }

    /// One line: the event, the monotonic clock in ms (the same in every process), `members`.
    func write(_ event: String, _ members: [JSONMember]) {
        let head = [JSONMember("event", .string(event)), JSONMember("mono_ms", .int(Int64(HarnessClock.nowNs() / 1_000_000)))]
        let line = Array((JSONValue.object(head + members).encode() + "\n").utf8)
        _ = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
    }
}

/// Times and CPU of this process.
enum HarnessClock {
    static func nowNs() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// User + system CPU seconds of every thread of the process (libsrt's included).
    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// p50, p90, p99 and max of `values` (microseconds), as JSON members.
    static func percentiles(_ values: [Double], prefix: String) -> [JSONMember] {
        guard !values.isEmpty else { return [JSONMember("\(prefix)_samples", .int(0))] }
        let sorted = values.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
        return [JSONMember("\(prefix)_samples", .int(Int64(sorted.count))),
                JSONMember("\(prefix)_p50_us", .rounded(at(0.5), decimals: 0)),
                JSONMember("\(prefix)_p90_us", .rounded(at(0.9), decimals: 0)),
                JSONMember("\(prefix)_p99_us", .rounded(at(0.99), decimals: 0)),
                JSONMember("\(prefix)_max_us", .rounded(sorted.last!, decimals: 0))]
    }
}
