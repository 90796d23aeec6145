import Protocol
import System

extension HTTPAPI {
    /// `/api/v1/summaries` data, with SRS's field names.
    func summaries() -> JSONValue {
        let rss = ProcStats.rssKB()
        let mem = ProcStats.memTotalKB()
        let load = ProcStats.loadAverage()
        let infos = server.clientInfos()
        let recv = infos.reduce(UInt64(0)) { $0 + $1.recvBytes }
        let send = infos.reduce(UInt64(0)) { $0 + $1.sendBytes }
        let selfInfo: JSONValue = [
            "version": .string(Version.string), "pid": .int(Int64(ProcStats.pid)), "ppid": .int(Int64(ProcStats.ppid)),
            "argv": .string(ProcStats.commandLine()), "cwd": .string(ProcessEnv.currentDirectory()),
            "mem_kbyte": .int(Int64(rss)), "mem_percent": .number(mem > 0 ? Double(rss) / Double(mem) : 0),
            "cpu_percent": .number(server.cpu.percent),
            "srs_uptime": .int((Clock.wallMs() - server.startedMs) / 1000),
        ]
        let system: JSONValue = [
            "cpu_percent": .number(server.systemCPUPercent), "mem_ram_kbyte": .int(Int64(mem)),
            "mem_ram_percent": .number(0), "cpus": .int(Int64(ProcStats.cpus)), "cpus_online": .int(Int64(ProcStats.cpusOnline)),
            "uptime": .number(ProcStats.uptime()), "load_1m": .number(load.0), "load_5m": .number(load.1), "load_15m": .number(load.2),
            "srs_sample_time": .int(Clock.wallMs()), "srs_recv_bytes": .int(Int64(recv)), "srs_send_bytes": .int(Int64(send)),
            "conn_srs": .int(Int64(server.connectionCount)),
        ]
        return ["ok": .bool(true), "now_ms": .int(Clock.wallMs()), "self": selfInfo, "system": system]
    }
}
