import Glibc

/// Process and system figures from /proc, for the API's summaries and the benchmarks.
public enum ProcStats {
    /// Resident set size of `pid` (default: self) in KiB.
    public static func rssKB(pid: String = "self") -> Int {
        guard let s = try? FileSystem.readText("/proc/\(pid)/status") else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// utime + stime of `pid` in clock ticks.
    public static func cpuTicks(pid: String = "self") -> Int {
        guard let s = try? FileSystem.readText("/proc/\(pid)/stat"), let close = s.lastIndex(of: ")") else { return 0 }
        let fields = s[s.index(after: close)...].split(separator: " ")
        // After the command: state(0) ppid(1) ... utime(11) stime(12).
        guard fields.count > 12 else { return 0 }
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }

    /// Total system CPU ticks (all fields of the `cpu` line) and idle ticks.
    public static func systemTicks() -> (total: Int, idle: Int) {
        guard let s = try? FileSystem.readText("/proc/stat"), let line = s.split(separator: "\n").first else { return (0, 0) }
        let v = line.split(separator: " ").dropFirst().compactMap { Int($0) }
        guard v.count >= 4 else { return (0, 0) }
        return (v.reduce(0, +), v[3] + (v.count > 4 ? v[4] : 0))
    }

    public static var clockTicksPerSecond: Int { Int(sysconf(Int32(_SC_CLK_TCK))) }
    public static var cpus: Int { Int(sysconf(Int32(_SC_NPROCESSORS_CONF))) }
    public static var cpusOnline: Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }

    /// MemTotal in KiB.
    public static func memTotalKB() -> Int {
        guard let s = try? FileSystem.readText("/proc/meminfo") else { return 0 }
        for line in s.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        return 0
    }

    /// 1, 5, 15 minute load averages.
    public static func loadAverage() -> (Double, Double, Double) {
        guard let s = try? FileSystem.readText("/proc/loadavg") else { return (0, 0, 0) }
        let v = s.split(separator: " ").prefix(3).map { Double($0) ?? 0 }
        return v.count == 3 ? (v[0], v[1], v[2]) : (0, 0, 0)
    }

    /// System uptime in seconds.
    public static func uptime() -> Double {
        guard let s = try? FileSystem.readText("/proc/uptime") else { return 0 }
        return Double(s.split(separator: " ").first ?? "0") ?? 0
    }

    /// The command line of this process, space-joined.
    /// The command line of `pid` as started (/proc/PID/cmdline; not the process title we set).
    public static func commandLine(pid: Int) -> String {
        guard let bytes = try? FileSystem.readFile("/proc/\(pid)/cmdline") else { return "" }
        return bytes.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    public static var pid: Int { Int(getpid()) }
    public static var ppid: Int { Int(getppid()) }

    /// The parent of `pid` (from /proc/PID/stat), 0 if unknown.
    public static func parentPID(of pid: Int) -> Int {
        guard let s = try? FileSystem.readText("/proc/\(pid)/stat"), let close = s.lastIndex(of: ")") else { return 0 }
        let fields = s[s.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? Int(fields[1]) ?? 0 : 0
    }
}

/// CPU usage between two samples, as a fraction of one CPU (0.5 = half a core).
public struct CPUSampler: Sendable {
    private var lastTicks: Int
    private var lastMs: Int64
    public private(set) var percent: Double = 0
    private let pid: String

    public init(pid: String = "self") {
        self.pid = pid
        lastTicks = ProcStats.cpuTicks(pid: pid)
        lastMs = Clock.monotonicMs()
    }

    public mutating func sample() {
        let t = ProcStats.cpuTicks(pid: pid)
        let now = Clock.monotonicMs()
        if now > lastMs {
            let seconds = Double(t - lastTicks) / Double(max(1, ProcStats.clockTicksPerSecond))
            percent = seconds / (Double(now - lastMs) / 1000)
        }
        lastTicks = t
        lastMs = now
    }
}
