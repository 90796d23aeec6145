import Core
import Protocol
import System

extension HTTPAPI {
    /// `/api/v1/summaries` data, with SRS's field names, for the whole server: the master and
    /// every worker's part (`workerPart`) added up, plus `workers[]` (one row per worker of
    /// every running generation) and the master's `generation` and `state`.
    func summaries(_ parts: [JSONValue]) -> JSONValue {
        let (workers, master) = Self.split(parts)
        func sum(_ name: String) -> Int64 { workers.reduce(0) { $0 + ($1[name]?.intValue ?? 0) } }
        let masterRSS = identity.pid == ProcStats.pid ? 0 : ProcStats.rssKB(pid: "\(identity.pid)")
        let rss = Int(sum("rss_kb")) + masterRSS
        let cpu = workers.reduce(0.0) { $0 + ($1["cpu_percent"]?.numberValue ?? 0) }
        let mem = ProcStats.memInfo()
        let ramTotal = mem["MemTotal"] ?? 0
        let ramUsed = ramTotal - (mem["MemFree"] ?? 0) - (mem["Buffers"] ?? 0) - (mem["Cached"] ?? 0)
        let swapTotal = mem["SwapTotal"] ?? 0
        let load = ProcStats.loadAverage()
        let sockets = ProcStats.socketCounts()
        let net = ProcStats.networkBytes()
        let idle = ProcStats.idleTime()
        // Draining once any worker serving the API drains (a graceful quit), as /readyz says.
        let state = master?["state"]?.stringValue ?? (status.isDraining ? "draining" : "ready")
        let selfInfo: JSONValue = [
            "version": .string(Version.string), "pid": .int(Int64(identity.pid)),
            "ppid": .int(Int64(ProcStats.parentPID(of: Int(identity.pid)))), "workers": .int(Int64(workers.count)),
            "argv": .string(ProcStats.commandLine(pid: Int(identity.pid))), "cwd": .string(ProcessEnv.currentDirectory()),
            "mem_kbyte": .int(Int64(rss)), "mem_percent": .rounded(ramTotal > 0 ? Double(rss) / Double(ramTotal) : 0),
            "cpu_percent": .rounded(cpu),
            "srs_uptime": .int((Clock.wallMs() - status.startedMs) / 1000),
            "generation": master?["generation"] ?? .int(Int64(status.generation)), "state": .string(state),
        ]
        let now = Clock.wallMs()
        let system: JSONValue = [
            "cpu_percent": .rounded(status.systemCPUPercent),
            "disk_read_KBps": .int(Int64(status.disk.readKBps)), "disk_write_KBps": .int(Int64(status.disk.writeKBps)),
            "disk_busy_percent": .rounded(status.disk.busyPercent),
            "mem_ram_kbyte": .int(Int64(ramTotal)), "mem_ram_percent": .rounded(ramTotal > 0 ? Double(ramUsed) / Double(ramTotal) : 0),
            "mem_swap_kbyte": .int(Int64(swapTotal)),
            "mem_swap_percent": .rounded(swapTotal > 0 ? 1 - Double(mem["SwapFree"] ?? 0) / Double(swapTotal) : 0),
            "cpus": .int(Int64(ProcStats.cpus)), "cpus_online": .int(Int64(ProcStats.cpusOnline)),
            "uptime": .rounded(ProcStats.uptime()), "ilde_time": .rounded(idle),
            "load_1m": .rounded(load.0), "load_5m": .rounded(load.1), "load_15m": .rounded(load.2),
            // Every device but lo counts as intranet (SRS tells public from private addresses).
            "net_sample_time": .int(now), "net_recv_bytes": .int(0), "net_send_bytes": .int(0),
            "net_recvi_bytes": .int(Int64(net.recv)), "net_sendi_bytes": .int(Int64(net.send)),
            "srs_sample_time": .int(now), "srs_recv_bytes": .int(sum("recv_bytes")), "srs_send_bytes": .int(sum("send_bytes")),
            "conn_sys": .int(Int64(sockets.sys)), "conn_sys_et": .int(Int64(sockets.established)),
            "conn_sys_tw": .int(Int64(sockets.timeWait)), "conn_sys_udp": .int(Int64(sockets.udp)),
            "conn_srs": .int(sum("conns")),
        ]
        return ["ok": .bool(true), "now_ms": .int(now), "self": selfInfo, "system": system,
                "workers": .array(Self.workerRows(workers, master: master))]
    }
}
