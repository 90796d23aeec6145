import Glibc
import System

/// CPU time of every user-space process on the machine except the benchmark's own (the
/// server, this client, `--exclude-pids` such as the publisher) at one instant: two samples
/// tell whether other work (another engineer's build or tests) ran during the window and may
/// have skewed the figures. Kernel threads are left out (ksoftirqd does the benchmark's own
/// network work).
///
/// Rough by design: a process that starts and ends between the samples is only seen through
/// its parent's children time (utime+stime+cutime+cstime are summed), which may count some of
/// its time from before the window. It flags a busy machine; it does not measure it precisely.
struct OthersSample {
    /// Ticks of each process seen, by pid.
    let ticks: [Int: Int]
    let atMs: Int64

    init(excluding: Set<Int>) {
        var ticks: [Int: Int] = [:]
        let me = Int(getpid())
        for name in FileSystem.list("/proc") {
            guard let pid = Int(name), pid != me, !excluding.contains(pid),
                  let t = Self.userTicks(pid) else { continue }
            ticks[pid] = t
        }
        self.ticks = ticks
        atMs = Clock.monotonicMs()
    }

    /// Other processes' CPU between `start` and this sample, in percent of one core.
    func cpuPercent(since start: OthersSample) -> Double {
        guard atMs > start.atMs else { return 0 }
        var sum = 0
        for (pid, t) in ticks {
            // A process born in between: all its time is inside the interval.
            sum += t - (start.ticks[pid] ?? 0)
        }
        let hz = Double(max(1, ProcStats.clockTicksPerSecond))
        return Double(max(0, sum)) / hz / (Double(atMs - start.atMs) / 1000) * 100
    }

    /// utime+stime+cutime+cstime of a user-space process, nil for kernel threads or if gone.
    private static func userTicks(_ pid: Int) -> Int? {
        guard let s = try? FileSystem.readText("/proc/\(pid)/stat"), let close = s.lastIndex(of: ")") else { return nil }
        let f = s[s.index(after: close)...].split(separator: " ")
        // state(0) ppid(1) pgrp(2) session(3) tty(4) tpgid(5) flags(6) ... utime(11) stime(12)
        // cutime(13) cstime(14). PF_KTHREAD = 0x00200000.
        guard f.count > 14, let flags = Int(f[6]), flags & 0x0020_0000 == 0 else { return nil }
        return f[11...14].reduce(0) { $0 + (Int($1) ?? 0) }
    }
}
