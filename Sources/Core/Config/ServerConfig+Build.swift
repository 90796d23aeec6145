import Kernel
import System

extension ServerConfig {
    /// Builds and validates the typed config from parsed directives (`file` names the main file
    /// for errors about missing directives). Unknown directives become warnings.
    init(directives: [ConfigDirective], file: String, environment: [String: String], warnings: ConfigWarnings) throws(ConfigError) {
        self.init()
        ConfigSchema.check(directives, warnings: warnings)
        let root = ConfigDirective(name: "", children: directives, isBlock: true, file: file)
        let r = ConfigReader(block: root, envPath: [], environment: environment, warnings: warnings)

        if let raw = r.raw("listen") {
            guard !raw.args.isEmpty else { throw ConfigError(raw.location, "listen needs at least one port") }
            listen = try raw.args.map { (a) throws(ConfigError) -> ListenAddress in
                guard let l = ListenAddress(parsing: a) else { throw ConfigError(raw.location, "listen: invalid address \"\(a)\"") }
                return l
            }
        } else {
            throw ConfigError(file, "directive \"listen\" is required (e.g. listen 1935;)")
        }
        pidFile = try r.string("pid", pidFile)
        maxConnections = try r.int("max_connections", maxConnections, in: 1...1_000_000)
        daemon = try r.bool("daemon", true)
        disableDaemonForDocker = try r.bool("disable_daemon_for_docker", true)
        inDocker = try r.bool("in_docker", false)
        inotifyAutoReload = try r.bool("inotify_auto_reload", false)
        autoReloadForDocker = try r.bool("auto_reload_for_docker", true)
        graceStartWaitMs = try r.int("grace_start_wait", graceStartWaitMs, in: 0...86_400_000)
        graceFinalWaitMs = try r.int("grace_final_wait", graceFinalWaitMs, in: 0...86_400_000)
        let maxWait = try r.int("grace_max_wait", 0, in: 0...864_000_000)
        graceMaxWaitMs = maxWait > 0 ? maxWait : nil
        forceGraceQuit = try r.bool("force_grace_quit", false)
        logTank = try r.choice("srs_log_tank", logTank, ["console": .console, "file": .file])
        logLevel = try r.choice("srs_log_level", logLevel, Dictionary(uniqueKeysWithValues: LogLevel.allCases.map { ("\($0)", $0) }))
        logFile = try r.string("srs_log_file", logFile)
        workDir = try r.string("work_dir", workDir)
        utcTime = try r.bool("utc_time", false)
        serverID = try r.optionalString("server_id")
        chunkSize = try r.int("chunk_size", chunkSize, in: 128...65536)
        ffLogDir = try r.string("ff_log_dir", ffLogDir)
        ffLogLevel = try r.string("ff_log_level", ffLogLevel)
        if let raw = r.raw("worker_processes") {
            if raw.args.first == "auto" {
                workerProcesses = .auto
            } else {
                workerProcesses = .count(try r.int("worker_processes", 1, in: 1...256))
            }
        }
        let range = ClientTimeouts.rangeMs
        clientTimeouts.httpHeaderMs = try r.durationMs("client_header_timeout", clientTimeouts.httpHeaderMs, in: range)
        clientTimeouts.httpBodyMs = try r.durationMs("client_body_timeout", clientTimeouts.httpBodyMs, in: range)
        clientTimeouts.rtmpHandshakeMs = try r.durationMs("rtmp_handshake_timeout", clientTimeouts.rtmpHandshakeMs, in: range)
        clientTimeouts.rtmpCommandMs = try r.durationMs("rtmp_command_timeout", clientTimeouts.rtmpCommandMs, in: range)

        let api = r.child("http_api")
        httpAPI.enabled = try api.bool("enabled", false)
        httpAPI.listen = try Self.listenAddress(api, httpAPI.listen)
        httpAPI.crossdomain = try api.bool("crossdomain", true)
        let raw = api.child("raw_api")
        httpAPI.rawAPI = try raw.bool("enabled", false)
        httpAPI.rawAPIAllowReload = try raw.bool("allow_reload", false)
        let auth = api.child("auth")
        if try auth.bool("enabled", false) {
            httpAPI.authUsername = try auth.string("username", "")
            httpAPI.authPassword = try auth.string("password", "")
        }

        let http = r.child("http_server")
        httpServer.enabled = try http.bool("enabled", false)
        httpServer.listen = try Self.listenAddress(http, httpServer.listen)
        httpServer.dir = try http.string("dir", httpServer.dir)
        httpServer.crossdomain = try http.bool("crossdomain", true)

        let exporterBlock = r.child("exporter")
        exporter.enabled = try exporterBlock.bool("enabled", false)
        exporter.listen = try Self.listenAddress(exporterBlock, exporter.listen)
        exporter.label = try exporterBlock.string("label", "")
        exporter.tag = try exporterBlock.string("tag", "")
        srtServer = try SRTServerConfig(r.child("srt_server"))

        var seen: [String: ConfigDirective] = [:]
        for d in root.all("vhost") {
            guard let name = d.arg0, d.args.count == 1 else { throw ConfigError(d, "vhost needs exactly one name") }
            if let first = seen[name] { throw ConfigError(d, "duplicate vhost \"\(name)\" (first at \(first.location))") }
            seen[name] = d
            // SRS applies `SRS_VHOST_*` to the default vhost only.
            let envPath: [String]? = name == VhostConfig.defaultName ? ["vhost"] : nil
            let reader = ConfigReader(block: d, envPath: envPath, environment: environment, warnings: warnings)
            vhosts.append(try VhostConfig(name: name, reader))
        }
    }

    private static func listenAddress(_ r: ConfigReader, _ fallback: ListenAddress) throws(ConfigError) -> ListenAddress {
        guard let raw = r.raw("listen") else { return fallback }
        guard raw.args.count == 1, let l = ListenAddress(parsing: raw.args[0]) else {
            throw ConfigError(raw.location, "listen: invalid address \"\(raw.args.joined(separator: " "))\"")
        }
        return l
    }
}

extension VhostConfig {
    init(name: String, _ r: ConfigReader) throws(ConfigError) {
        self.init(name: name)
        enabled = try r.bool("enabled", true)

        let c = r.child("cluster")
        cluster.mode = try c.choice("mode", .local, ["local": .local, "remote": .remote])
        cluster.origins = try c.hostPorts("origin", defaultPort: 1935)
        if cluster.mode == .remote && cluster.origins.isEmpty {
            throw ConfigError(c.block?.location ?? r.block?.location ?? "", "vhost \(name): cluster mode remote needs at least one origin")
        }
        cluster.tokenTraverse = try c.bool("token_traverse", false)
        cluster.upstreamVhost = try c.optionalString("vhost")
        cluster.originCluster = try c.bool("origin_cluster", false)
        cluster.coworkers = try c.hostPorts("coworkers", defaultPort: 1985)
        cluster.upstreamProtocol = try c.choice("protocol", "rtmp", ["rtmp": "rtmp", "flv": "flv"])

        let p = r.child("play")
        play.gopCache = try p.bool("gop_cache", true)
        play.gopCacheMaxFrames = try p.int("gop_cache_max_frames", play.gopCacheMaxFrames, in: 1...1_000_000)
        play.queueLength = try p.double("queue_length", play.queueLength, in: 0.1...3600)
        play.mwLatencyMs = try p.int("mw_latency", play.mwLatencyMs, in: 0...60_000)
        // SRS's `min_latency on` (realtime) makes the default of mw_msgs 0 instead of 8.
        let minLatency = try r.bool("min_latency", false)
        play.mwMsgs = try p.int("mw_msgs", minLatency ? 0 : play.mwMsgs, in: 0...10_000)
        play.tcpNoDelay = try r.bool("tcp_nodelay", false)
        if play.mwMsgs > PlayConfig.maxMergedMessages {
            // As SRS (SRS_PERF_MW_MSGS): a larger value is reset to the maximum, with a warning.
            p.warnings.add("\(p.block?.location ?? ""): reset mw_msgs \(play.mwMsgs) to max \(PlayConfig.maxMergedMessages)")
            play.mwMsgs = PlayConfig.maxMergedMessages
        }

        let pub = r.child("publish")
        publish.firstPacketTimeoutMs = try pub.int("firstpkt_timeout", publish.firstPacketTimeoutMs, in: 100...86_400_000)
        publish.normalTimeoutMs = try pub.int("normal_timeout", publish.normalTimeoutMs, in: 100...86_400_000)

        let h = r.child("hls")
        hls.enabled = try h.bool("enabled", false)
        hls.fragment = try h.double("hls_fragment", hls.fragment, in: 0.1...3600)
        hls.tdRatio = try h.double("hls_td_ratio", hls.tdRatio, in: 1...100)
        hls.aofRatio = try h.double("hls_aof_ratio", hls.aofRatio, in: 1...100)
        hls.window = try h.double("hls_window", hls.window, in: 0.1...86_400)
        hls.path = try h.string("hls_path", hls.path)
        hls.m3u8File = try h.string("hls_m3u8_file", hls.m3u8File)
        hls.tsFile = try h.string("hls_ts_file", hls.tsFile)
        hls.entryPrefix = try h.string("hls_entry_prefix", hls.entryPrefix)
        hls.cleanup = try h.bool("hls_cleanup", true)
        hls.dispose = try h.double("hls_dispose", hls.dispose, in: 0...864_000)
        hls.waitKeyframe = try h.bool("hls_wait_keyframe", true)
        for (key, value) in [("hls_m3u8_file", hls.m3u8File), ("hls_ts_file", hls.tsFile)]
        where value.isEmpty || value.hasPrefix("/") || value.split(separator: "/").contains("..") {
            throw ConfigError(h.raw(key)?.location ?? "", "\(key) \"\(value)\" must be a relative path inside hls_path")
        }

        let x = r.child("http_remux")
        httpRemux.enabled = try x.bool("enabled", false)
        httpRemux.mount = try x.string("mount", httpRemux.mount)
        guard LiveRemuxFormat(mount: httpRemux.mount) != nil else {
            throw ConfigError(x.raw("mount")?.location ?? "",
                              "http_remux mount \"\(httpRemux.mount)\" must end with .flv, .ts, .aac or .mp3")
        }
        httpRemux.hasAudio = try x.bool("has_audio", true)
        httpRemux.hasVideo = try x.bool("has_video", true)
        httpRemux.publishWaitMs = try x.durationMs("publish_wait_timeout", httpRemux.publishWaitMs, in: 0...3_600_000)
        try readDVR(r.child("dvr"))
        try readProcesses(r)

        hooks = try HooksConfig(r.child("http_hooks"), hls: h)
        security = try SecurityConfig(r.child("security"))
        srt = try VhostSRTConfig(r.child("srt"))
    }
}

extension VhostConfig {
    /// `dvr { enabled; dvr_apply; dvr_plan; dvr_path; dvr_duration; dvr_wait_keyframe; time_jitter; }`
    /// with SRS's defaults (`get_dvr_*`); a bad plan or jitter is an error, as SRS's "illegal plan".
    mutating func readDVR(_ d: ConfigReader) throws(ConfigError) {
        dvrEnabled = try d.bool("enabled", false)
        dvr.apply = DVRApply(arguments: d.strings("dvr_apply") ?? [])
        dvr.plan = try d.choice("dvr_plan", .session, ["session": .session, "segment": .segment])
        dvr.path = try d.string("dvr_path", DVRConfig.defaultPath)
        dvr.durationSeconds = try d.int("dvr_duration", 30, in: 0...31_536_000)
        dvr.waitKeyframe = try d.bool("dvr_wait_keyframe", true)
        dvr.timeJitter = try d.choice("time_jitter", .full,
                                      Dictionary(uniqueKeysWithValues: TimeJitter.Mode.allCases.map { ($0.rawValue, $0) }))
        guard !dvr.path.isEmpty, !ControlCharacter.contains(in: dvr.path) else {
            throw ConfigError(d.raw("dvr_path")?.location ?? "", "dvr_path \"\(dvr.path)\" is not a usable path")
        }
    }
}
