import Core
import Glibc
import Protocol
import System

/// Each worker's own figures (its part of `/api/v1/summaries` and of `/metrics`), and the
/// master's part (its generation, counters and the workers it runs, marked `"master"`).
extension HTTPAPI {
    /// This worker's index in the answers (`workers[].index`, `worker` of streams and clients).
    var workerIndex: Int64 { Int64(status.index ?? 0) }

    /// This worker: who, which generation, ready or draining, its connections, memory, CPU and
    /// counters.
    func workerPart() -> JSONValue {
        let infos = connections.clientInfos()
        let totals = connections.byteTotals()
        let published = sources.sources.values.filter { $0.isPublished && !relays.isRelayed($0.key) }.count
        return ["pid": .int(Int64(getpid())), "index": .int(workerIndex), "generation": .int(Int64(status.generation)),
                "state": .string(status.isDraining ? "draining" : "ready"),
                "uptime": .int((Clock.wallMs() - status.startedMs) / 1000),
                "conns": .int(Int64(connections.clientCount)),
                "clients": .int(Int64(infos.filter { $0.type != ClientInfo.apiType }.count)), "rss_kb": .int(Int64(ProcStats.rssKB())),
                "cpu_percent": .number(status.cpu.percent),
                "recv_bytes": .int(Int64(infos.reduce(UInt64(0)) { $0 + $1.recvBytes })),
                "send_bytes": .int(Int64(infos.reduce(UInt64(0)) { $0 + $1.sendBytes })),
                "recv_bytes_total": .int(Int64(truncatingIfNeeded: totals.recv)),
                "send_bytes_total": .int(Int64(truncatingIfNeeded: totals.send)),
                "clients_total": .int(Int64(connections.clientsTotal)),
                "clients_errs_total": .int(Int64(connections.clientErrorsTotal)),
                "hls_write_errors_total": .int(Int64(hlsWriteErrors())),
                "dvr_write_errors_total": .int(Int64(status.dvrWriteErrorsTotal)),
                "streams": .int(Int64(published))]
    }

    /// The workers' parts and the master's part (nil without a master) of a gather.
    static func split(_ parts: [JSONValue]) -> (workers: [JSONValue], master: JSONValue?) {
        var workers: [JSONValue] = []
        var master: JSONValue?
        for p in parts {
            if let m = p["master"] { master = m } else if p["pid"] != nil { workers.append(p) }
        }
        return (workers, master)
    }

    /// `summaries.data.workers[]`: every worker that answered, and those the master runs that
    /// could not answer yet (`starting`), by index then generation.
    static func workerRows(_ workers: [JSONValue], master: JSONValue?) -> [JSONValue] {
        var rows: [JSONValue] = workers.map { w in
            ["index": w["index"] ?? .null, "pid": w["pid"] ?? .null, "generation": w["generation"] ?? .null,
             "state": w["state"] ?? .null, "conns": w["conns"] ?? .null,
             "cpu_percent": .rounded(w["cpu_percent"]?.numberValue ?? 0), "mem_kbyte": w["rss_kb"] ?? .null,
             "uptime": w["uptime"] ?? .null]
        }
        let answered = Set(workers.compactMap { $0["pid"]?.intValue })
        for m in master?["workers"]?.arrayValue ?? [] where !answered.contains(m["pid"]?.intValue ?? -1) {
            rows.append(["index": m["index"] ?? .null, "pid": m["pid"] ?? .null, "generation": m["generation"] ?? .null,
                         "state": m["state"] ?? .null, "conns": .int(0), "cpu_percent": .number(0),
                         "mem_kbyte": .int(0), "uptime": m["uptime"] ?? .null])
        }
        return rows.sorted {
            ($0["generation"]?.intValue ?? 0, $0["index"]?.intValue ?? 0) < ($1["generation"]?.intValue ?? 0, $1["index"]?.intValue ?? 0)
        }
    }
}
