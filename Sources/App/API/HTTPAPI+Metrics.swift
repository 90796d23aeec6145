import Core
import Protocol
import System

/// `/metrics`, SRS's Prometheus exporter (`exporter { enabled on; }`): SRS 7's families with its
/// names, help and labels (`SrsGoApiMetrics`), for the whole server (every worker of every
/// running generation, gathered like the API's summaries), then what a multi-process server
/// adds: a series per worker, per stream, drain state, reload and upgrade counters, write errors.
extension HTTPAPI {
    /// SRS's answer when the exporter is off.
    static let exporterDisabled: Int64 = 1090

    /// `/metrics`: nil, the text comes through `c.finish` once gathered. As SRS's, outside the
    /// API's basic auth (SRS checks it on `/api/` paths only): a Prometheus set up for SRS
    /// scrapes without credentials.
    func metrics(_ req: HTTPRequestHead, _ c: HTTPConnection) -> HTTPResponse? {
        guard config.current.exporter.enabled else {
            return .json(envelope([:], code: Self.exporterDisabled), callback: nil)
        }
        siblings.gather(.metrics, loop: loop, local: { [unowned self] in collect(.metrics) }) { [weak c, unowned self] parts in
            var r = HTTPResponse(status: 200, contentType: PrometheusText.contentType)
            r.body = Array(metricsText(parts).utf8)
            c?.finish(r, to: req)
        }
        return nil
    }

    /// The exposition text of the gathered parts.
    func metricsText(_ parts: [JSONValue]) -> String {
        let (workers, master) = Self.split(parts)
        func sum(_ name: String) -> Double { workers.reduce(0) { $0 + Double($1[name]?.intValue ?? 0) } }
        var m = PrometheusText()
        let config = config.current
        let u = ProcStats.uname()
        m.gauge("srs_node_uname_info", help: "Labeled system information as provided by the uname system call.",
                labels: [("sysname", u.sysname), ("nodename", u.nodename), ("release", u.release), ("version", u.version),
                         ("machine", u.machine)], 1)
        var build = [("server", identity.serverID), ("service", identity.serviceID), ("pid", "\(identity.pid)"),
                     ("build_date", ""), ("major", "\(Version.major)"), ("version", Version.string), ("code", Version.signature)]
        if !config.exporter.label.isEmpty { build.append(("label", config.exporter.label)) }
        if !config.exporter.tag.isEmpty { build.append(("tag", config.exporter.tag)) }
        m.gauge("srs_build_info", help: "A metric with a constant '1' value labeled by build_date, version from which SRS was built.",
                labels: build, 1)
        let cpu = workers.reduce(0.0) { $0 + ($1["cpu_percent"]?.numberValue ?? 0) }
        m.gauge("srs_cpu_percent", help: "SRS cpu used percent.", (cpu * 10000).rounded() / 100)
        let masterRSS = identity.pid == ProcStats.pid ? 0 : ProcStats.rssKB(pid: "\(identity.pid)")
        m.gauge("srs_memory", help: "SRS memory used.", sum("rss_kb") + Double(masterRSS))
        m.counter("srs_send_bytes_total", help: "SRS total sent bytes.", sum("send_bytes_total"))
        m.counter("srs_receive_bytes_total", help: "SRS total received bytes.", sum("recv_bytes_total"))
        let streams = Self.mergedStreams(workers.flatMap { $0["stream_list"]?.arrayValue ?? [] })
        m.gauge("srs_streams", help: "The number of SRS concurrent streams.", Double(streams.count))
        m.gauge("srs_clients", help: "The number of SRS concurrent clients.", sum("clients"))
        m.counter("srs_clients_total", help: "The total counts of SRS clients.", sum("clients_total"))
        m.counter("srs_clients_errs_total", help: "The total errors of SRS clients.", sum("clients_errs_total"))

        // Beyond SRS: the server's state and counters.
        let state = master?["state"]?.stringValue ?? (status.isDraining ? "draining" : "ready")
        m.gauge("srs_ready", help: "1 while the server accepts new clients, 0 while it drains (graceful quit).", state == "draining" ? 0 : 1)
        m.gauge("srs_generation", help: "The generation of the newest workers (1, then one more per hot upgrade).",
                Double(master?["generation"]?.intValue ?? Int64(status.generation)))
        m.counter("srs_reloads_total", help: "Configuration reloads applied.", Double(master?["reloads"]?.intValue ?? 0))
        m.counter("srs_reload_failures_total", help: "Configuration reloads refused (the running config kept).",
                  Double(master?["reload_failures"]?.intValue ?? 0))
        m.counter("srs_upgrades_total", help: "Hot binary upgrades completed.", Double(master?["upgrades"]?.intValue ?? 0))
        m.counter("srs_upgrade_failures_total", help: "Hot binary upgrades rolled back.", Double(master?["upgrade_failures"]?.intValue ?? 0))
        m.counter("srs_hls_write_errors_total", help: "Failed HLS segment and playlist writes.", sum("hls_write_errors_total"))
        m.counter("srs_dvr_write_errors_total", help: "Failed DVR file writes.", sum("dvr_write_errors_total"))

        // One series per worker process, of every running generation.
        for w in Self.workerRows(workers, master: master) {
            let labels = [("worker", "\(w["index"]?.intValue ?? 0)"), ("generation", "\(w["generation"]?.intValue ?? 0)"),
                          ("pid", "\(w["pid"]?.intValue ?? 0)")]
            let s = w["state"]?.stringValue ?? ""
            for candidate in ["starting", "ready", "draining"] {
                m.gauge("srs_worker_state", help: "1 for the state each worker is in (starting, ready, draining).",
                        labels: labels + [("state", candidate)], s == candidate ? 1 : 0)
            }
            m.gauge("srs_worker_connections", help: "Connections per worker process (players, publishers, API callers).", labels: labels,
                    Double(w["conns"]?.intValue ?? 0))
            m.gauge("srs_worker_cpu_percent", help: "CPU per worker process, percent of one core.", labels: labels,
                    ((w["cpu_percent"]?.numberValue ?? 0) * 10000).rounded() / 100)
            m.gauge("srs_worker_memory", help: "Resident memory per worker process, in KiB.", labels: labels,
                    Double(w["mem_kbyte"]?.intValue ?? 0))
            m.gauge("srs_worker_uptime_seconds", help: "Seconds since each worker process started.", labels: labels,
                    Double(w["uptime"]?.intValue ?? 0))
        }

        // One series per published stream.
        for s in streams {
            let labels = [("vhost", s["vhost_name"]?.stringValue ?? ""), ("app", s["app"]?.stringValue ?? ""),
                          ("stream", s["name"]?.stringValue ?? "")]
            let publishing = s["publish"]?["active"]?.boolValue == true
            let clients = Double(s["clients"]?.intValue ?? 0)
            m.gauge("srs_stream_publishing", help: "1 while the stream's publisher is connected.", labels: labels, publishing ? 1 : 0)
            m.gauge("srs_stream_viewers", help: "Players of the stream, on every worker.", labels: labels,
                    max(0, clients - (publishing ? 1 : 0)))
            m.gauge("srs_stream_worker", help: "The worker (index) the stream's publisher is on.", labels: labels,
                    Double(s["worker"]?.intValue ?? 0))
            m.gauge("srs_stream_receive_kbps", help: "The stream's publishing bitrate (30 s average), in kbit/s.", labels: labels,
                    Double(s["kbps"]?["recv_30s"]?.intValue ?? 0))
            m.gauge("srs_stream_send_kbps", help: "The stream's bitrate to all its players (30 s average), in kbit/s.", labels: labels,
                    Double(s["kbps"]?["send_30s"]?.intValue ?? 0))
            m.counter("srs_stream_receive_bytes_total", help: "Bytes received from the stream's publisher.", labels: labels,
                      Double(s["recv_bytes"]?.intValue ?? 0))
        }
        return m.encode()
    }
}
