import Core
import Glibc
import Protocol
import System

/// SRS's system endpoints (`rusages`, `self_proc_stats`, `system_proc_stats`, `meminfos`,
/// `features`, `authors`, `tests/requests`) with SRS 7's field names and order. The
/// per-process ones describe the worker that answers (each worker is a process of its own).
extension HTTPAPI {
    /// `/api/v1/rusages`: getrusage(RUSAGE_SELF).
    func rusagesData() -> JSONValue {
        let r = ProcStats.rusage()
        func i(_ v: Int) -> JSONValue { .int(Int64(v)) }
        return ["ok": true, "sample_time": .int(Clock.wallMs()),
                "ru_utime": i(r.ru_utime.tv_sec), "ru_stime": i(r.ru_stime.tv_sec), "ru_maxrss": i(r.ru_maxrss),
                "ru_ixrss": i(r.ru_ixrss), "ru_idrss": i(r.ru_idrss), "ru_isrss": i(r.ru_isrss), "ru_minflt": i(r.ru_minflt),
                "ru_majflt": i(r.ru_majflt), "ru_nswap": i(r.ru_nswap), "ru_inblock": i(r.ru_inblock),
                "ru_oublock": i(r.ru_oublock), "ru_msgsnd": i(r.ru_msgsnd), "ru_msgrcv": i(r.ru_msgrcv),
                "ru_nsignals": i(r.ru_nsignals), "ru_nvcsw": i(r.ru_nvcsw), "ru_nivcsw": i(r.ru_nivcsw)]
    }

    /// The names of `/proc/self/stat`'s fields after the command, as SRS names them.
    static let statFields = ["state", "ppid", "pgrp", "session", "tty_nr", "tpgid", "flags", "minflt", "cminflt", "majflt",
                             "cmajflt", "utime", "stime", "cutime", "cstime", "priority", "nice", "num_threads",
                             "itrealvalue", "starttime", "vsize", "rss", "rsslim", "startcode", "endcode", "startstack",
                             "kstkesp", "kstkeip", "signal", "blocked", "sigignore", "sigcatch", "wchan", "nswap",
                             "cnswap", "exit_signal", "processor", "rt_priority", "policy", "delayacct_blkio_ticks",
                             "guest_time", "cguest_time"]

    /// `/api/v1/self_proc_stats`: this process's `/proc/self/stat`.
    func selfProcStatsData() -> JSONValue {
        let (comm, fields) = ProcStats.selfStat()
        var members = [JSONMember("ok", true), JSONMember("sample_time", .int(Clock.wallMs())),
                       JSONMember("percent", .rounded(status.cpu.percent)), JSONMember("pid", .int(Int64(getpid()))),
                       JSONMember("comm", .string(comm))]
        for (i, name) in Self.statFields.enumerated() {
            let raw = i < fields.count ? fields[i] : "0"
            // `state` is a letter; the rest are numbers (rsslim is unsigned: SRS prints it as -1).
            if name == "state" {
                members.append(JSONMember(name, .string(raw)))
            } else if let v = Int64(raw) {
                members.append(JSONMember(name, .int(v)))
            } else {
                members.append(JSONMember(name, .int(UInt64(raw).map { Int64(truncatingIfNeeded: $0) } ?? 0)))
            }
        }
        return .object(members)
    }

    /// `/api/v1/system_proc_stats`: the `cpu` line of `/proc/stat`.
    func systemProcStatsData() -> JSONValue {
        let f = ProcStats.systemCPUFields()
        func at(_ i: Int) -> JSONValue { .int(Int64(i < f.count ? f[i] : 0)) }
        return ["ok": true, "sample_time": .int(Clock.wallMs()), "percent": .rounded(status.systemCPUPercent),
                "user": at(0), "nice": at(1), "sys": at(2), "idle": at(3), "iowait": at(4), "irq": at(5),
                "softirq": at(6), "steal": at(7), "guest": at(8)]
    }

    /// `/api/v1/meminfos`: `/proc/meminfo`, with SRS's derived figures.
    func memInfosData() -> JSONValue {
        let m = ProcStats.memInfo()
        func v(_ k: String) -> Int { m[k] ?? 0 }
        let total = v("MemTotal")
        let notInUse = v("MemFree") + v("Buffers") + v("Cached")
        let realInUse = total - notInUse
        let swap = v("SwapTotal")
        return ["ok": true, "sample_time": .int(Clock.wallMs()),
                "percent_ram": .rounded(total > 0 ? Double(realInUse) / Double(total) : 0),
                "percent_swap": .rounded(swap > 0 ? 1 - Double(v("SwapFree")) / Double(swap) : 0),
                "MemActive": .int(Int64(v("Active"))), "RealInUse": .int(Int64(realInUse)), "NotInUse": .int(Int64(notInUse)),
                "MemTotal": .int(Int64(total)), "MemFree": .int(Int64(v("MemFree"))), "Buffers": .int(Int64(v("Buffers"))),
                "Cached": .int(Int64(v("Cached"))), "SwapTotal": .int(Int64(swap)), "SwapFree": .int(Int64(v("SwapFree")))]
    }

    /// `/api/v1/features`: what this build has, in SRS's shape.
    func featuresData() -> JSONValue {
        ["options": "--rtc=off --srt=on --hls=on --dvr=on --http-api=on --http-server=on",
         "options2": "SwiftSRS: no configure step; features are always built",
         "build": .string(""), "build2": .string(""),
         "features": ["ssl": false, "hls": true, "hds": false, "callback": true, "api": true, "httpd": true,
                      "dvr": true, "transcode": true, "ingest": true, "stat": true, "caster": false,
                      "complex_send": true, "tcp_nodelay": true, "so_sendbuf": false, "mr": false]]
    }

    /// `/api/v1/authors`.
    var authorsData: JSONValue {
        ["license": "MIT", "contributors": "https://github.com/ossrs/srs/blob/develop/trunk/AUTHORS.md#contributors"]
    }

    /// `/api/v1/tests/requests` (and `/api/v1/requests`, which SRS's listing names): the request
    /// as the server saw it. As SRS, `headers` ends up holding the server's signature.
    func requestsData(_ req: HTTPRequestHead) -> JSONValue {
        let host = req.header("Host") ?? "127.0.0.1"
        return ["uri": .string("http://\(host)\(req.target)"), "path": .string(req.path), "METHOD": .string(req.method),
                "headers": ["sigature": .string(Version.signature), "version": .string(Version.string),
                            "link": "https://github.com/ossrs/srs", "time": .int(Clock.wallMs())]]
    }

    /// SRS's `/api/v1/` listing, also its answer to an unknown path under it.
    var v1Listing: JSONValue {
        ["urls": ["versions": "the version of SRS", "summaries": "the summary(pid, argv, pwd, cpu, mem) of SRS",
                  "rusages": "the rusage of SRS", "self_proc_stats": "the self process stats",
                  "system_proc_stats": "the system process stats", "meminfos": "the meminfo of system",
                  "authors": "the license, copyright, authors and contributors", "features": "the supported features of SRS",
                  "requests": "the request itself, for http debug", "vhosts": "manage all vhosts or specified vhost",
                  "streams": "manage all streams or specified stream",
                  "clients": "manage all clients or specified client, default query top 10 clients",
                  "raw": "raw api for srs, support CUID srs for instance the config", "clusters": "origin cluster server API",
                  "processes": "the child processes: ingest, transcode, exec"],
         "tests": ["requests": "show the request info", "errors": "always return an error 100",
                   "redirects": "always redirect to /api/v1/test/errors",
                   "[vhost]": "http vhost for http://error.srs.com:1985/api/v1/tests/errors"]]
    }
}
