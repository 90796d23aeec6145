import Glibc

/// The machine's figures SRS's API shows (`/api/v1/meminfos`, `system_proc_stats`,
/// `self_proc_stats`, `rusages`, and `summaries.system`), read from /proc as SRS reads them
/// (`srs_app_utility.cpp`). Parsing is separate from reading so it is tested with text.
extension ProcStats {
    /// The idle time of all CPUs since boot in seconds (`/proc/uptime`'s second field).
    public static func idleTime() -> Double {
        guard let s = try? FileSystem.readText("/proc/uptime") else { return 0 }
        let f = s.split(whereSeparator: { $0 == " " || $0 == "\n" })
        return f.count > 1 ? Double(f[1]) ?? 0 : 0
    }

    /// `/proc/meminfo` values in KiB, by name (`MemTotal`, `SwapFree`...).
    public static func memInfo() -> [String: Int] {
        parseMemInfo((try? FileSystem.readText("/proc/meminfo")) ?? "")
    }

    public static func parseMemInfo(_ text: String) -> [String: Int] {
        var out: [String: Int] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let value = line[line.index(after: colon)...].split(separator: " ").first.flatMap { Int($0) }
            out[String(line[..<colon])] = value ?? 0
        }
        return out
    }

    /// The `cpu` line of `/proc/stat`: user nice sys idle iowait irq softirq steal guest.
    public static func systemCPUFields() -> [Int] {
        guard let s = try? FileSystem.readText("/proc/stat"), let line = s.split(separator: "\n").first else { return [] }
        return line.split(separator: " ").dropFirst().compactMap { Int($0) }
    }

    /// The fields of `/proc/PID/stat` after the command, and the command with its parentheses.
    public static func selfStat(pid: String = "self") -> (comm: String, fields: [String]) {
        parseStat((try? FileSystem.readText("/proc/\(pid)/stat")) ?? "")
    }

    public static func parseStat(_ s: String) -> (comm: String, fields: [String]) {
        guard let open = s.firstIndex(of: "("), let close = s.lastIndex(of: ")") else { return ("", []) }
        let comm = String(s[open...close])
        return (comm, s[s.index(after: close)...].split(whereSeparator: { $0 == " " || $0 == "\n" }).map(String.init))
    }

    /// `getrusage(RUSAGE_SELF)`.
    public static func rusage() -> rusage {
        var u = Glibc.rusage()
        _ = getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &u)
        return u
    }

    /// Sockets as SRS counts them (`/proc/net/sockstat` and `/proc/net/snmp`): TCP in use +
    /// time-wait, established, time-wait, UDP in use.
    public static func socketCounts() -> (sys: Int, established: Int, timeWait: Int, udp: Int) {
        let sockstat = (try? FileSystem.readText("/proc/net/sockstat")) ?? ""
        let snmp = (try? FileSystem.readText("/proc/net/snmp")) ?? ""
        return parseSocketCounts(sockstat: sockstat, snmp: snmp)
    }

    public static func parseSocketCounts(sockstat: String, snmp: String) -> (sys: Int, established: Int, timeWait: Int, udp: Int) {
        func field(_ line: Substring, _ name: String) -> Int {
            let words = line.split(separator: " ")
            guard let i = words.firstIndex(where: { $0 == name }), i + 1 < words.count else { return 0 }
            return Int(words[i + 1]) ?? 0
        }
        var alloc = 0, tw = 0, udp = 0, established = 0
        for line in sockstat.split(separator: "\n") {
            if line.hasPrefix("TCP: ") {
                alloc = field(line, "alloc")
                tw = field(line, "tw")
            } else if line.hasPrefix("UDP: ") {
                udp = field(line, "inuse")
            }
        }
        // Two `Tcp:` lines: the names, then the values.
        let tcp = snmp.split(separator: "\n").filter { $0.hasPrefix("Tcp: ") }
        if tcp.count >= 2 {
            let names = tcp[0].split(separator: " ")
            let values = tcp[1].split(separator: " ")
            if let i = names.firstIndex(of: "CurrEstab"), i < values.count { established = Int(values[i]) ?? 0 }
        }
        return (alloc + tw, established, tw, udp)
    }

    /// Bytes received and sent by every network device but `lo` (`/proc/net/dev`).
    public static func networkBytes() -> (recv: Int, send: Int) {
        parseNetworkBytes((try? FileSystem.readText("/proc/net/dev")) ?? "")
    }

    public static func parseNetworkBytes(_ text: String) -> (recv: Int, send: Int) {
        var recv = 0, send = 0
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingPrefix(while: { $0 == " " })
            guard name != "lo" else { continue }
            let v = line[line.index(after: colon)...].split(separator: " ").compactMap { Int($0) }
            guard v.count >= 9 else { continue }
            recv += v[0]
            send += v[8]
        }
        return (recv, send)
    }

    /// Sectors read and written and ms spent doing I/O, summed over whole disks
    /// (`/proc/diskstats`; partitions and virtual devices are left out to count once).
    public static func diskCounters() -> (readSectors: Int, writeSectors: Int, ioMs: Int) {
        parseDiskStats((try? FileSystem.readText("/proc/diskstats")) ?? "")
    }

    public static func parseDiskStats(_ text: String) -> (readSectors: Int, writeSectors: Int, ioMs: Int) {
        var r = 0, w = 0, io = 0
        for line in text.split(separator: "\n") {
            let f = line.split(separator: " ")
            guard f.count >= 14 else { continue }
            let name = f[2]
            // Whole disks only: sda, vda, xvda, nvme0n1, mmcblk0 (not sda1, nvme0n1p1, loop0, ram0, dm-0).
            if name.hasPrefix("loop") || name.hasPrefix("ram") || name.hasPrefix("dm-") || name.hasPrefix("zram") { continue }
            if name.hasPrefix("nvme") || name.hasPrefix("mmcblk") {
                // nvme0n1p1, mmcblk0p1 are partitions.
                if name.dropFirst(name.hasPrefix("nvme") ? 4 : 6).contains("p") { continue }
            } else if name.last?.isNumber == true {
                continue
            }
            r += Int(f[5]) ?? 0
            w += Int(f[9]) ?? 0
            io += Int(f[12]) ?? 0
        }
        return (r, w, io)
    }
}

/// Disk throughput and busy time between two samples of `/proc/diskstats`, as SRS's
/// `disk_read_KBps`, `disk_write_KBps` and `disk_busy_percent`.
public struct DiskSampler: Sendable {
    private var last = ProcStats.diskCounters()
    private var lastMs = Clock.monotonicMs()
    public private(set) var readKBps = 0
    public private(set) var writeKBps = 0
    public private(set) var busyPercent = 0.0

    public init() {}

    public mutating func sample() {
        let now = Clock.monotonicMs()
        let c = ProcStats.diskCounters()
        let ms = now - lastMs
        if ms > 0 {
            // Sectors are 512 bytes.
            readKBps = max(0, c.readSectors - last.readSectors) * 512 / 1024 * 1000 / Int(ms)
            writeKBps = max(0, c.writeSectors - last.writeSectors) * 512 / 1024 * 1000 / Int(ms)
            busyPercent = min(1, Double(max(0, c.ioMs - last.ioMs)) / Double(ms))
        }
        last = c
        lastMs = now
    }
}

extension ProcStats {
    /// `uname(2)`: sysname, nodename, release, version, machine.
    public static func uname() -> (sysname: String, nodename: String, release: String, version: String, machine: String) {
        var u = utsname()
        guard Glibc.uname(&u) == 0 else { return ("", "", "", "", "") }
        func text<T>(_ field: T) -> String {
            withUnsafeBytes(of: field) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return (text(u.sysname), text(u.nodename), text(u.release), text(u.version), text(u.machine))
    }
}
