import Core
import Protocol
import System

extension HTTPAPI {
    /// `/api/v1/summaries` data, with SRS's field names, for the whole server: the master and
    /// every worker's part (`collect(.summary)`) added up.
    func summaries(_ parts: [JSONValue]) -> JSONValue {
        func sum(_ name: String) -> Int64 { parts.reduce(0) { $0 + ($1[name]?.intValue ?? 0) } }
        let master = identity.pid == ProcStats.pid ? 0 : ProcStats.rssKB(pid: "\(identity.pid)")
        let rss = Int(sum("rss_kb")) + master
        let cpu = parts.reduce(0.0) { $0 + ($1["cpu_percent"]?.numberValue ?? 0) }
        let mem = ProcStats.memTotalKB()
        let load = ProcStats.loadAverage()
        let recv = sum("recv_bytes")
        let send = sum("send_bytes")
        let selfInfo: JSONValue = [
            "version": .string(Version.string), "pid": .int(Int64(identity.pid)),
            "ppid": .int(Int64(ProcStats.parentPID(of: Int(identity.pid)))), "workers": .int(Int64(parts.count)),
            "argv": .string(ProcStats.commandLine(pid: Int(identity.pid))), "cwd": .string(ProcessEnv.currentDirectory()),
            "mem_kbyte": .int(Int64(rss)), "mem_percent": .rounded(mem > 0 ? Double(rss) / Double(mem) : 0),
            "cpu_percent": .rounded(cpu),
            "srs_uptime": .int((Clock.wallMs() - status.startedMs) / 1000),
        ]
        let system: JSONValue = [
            "cpu_percent": .rounded(status.systemCPUPercent), "mem_ram_kbyte": .int(Int64(mem)),
            "mem_ram_percent": .number(0), "cpus": .int(Int64(ProcStats.cpus)), "cpus_online": .int(Int64(ProcStats.cpusOnline)),
            "uptime": .rounded(ProcStats.uptime()), "load_1m": .rounded(load.0), "load_5m": .rounded(load.1), "load_15m": .rounded(load.2),
            "srs_sample_time": .int(Clock.wallMs()), "srs_recv_bytes": .int(recv), "srs_send_bytes": .int(send),
            "conn_srs": .int(sum("conns")),
        ]
        return ["ok": .bool(true), "now_ms": .int(Clock.wallMs()), "self": selfInfo, "system": system]
    }
}
