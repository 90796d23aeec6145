/// Which directives SwiftSRS knows where, so a typo or an SRS feature we do not have is reported
/// (as a warning with `file:line`) instead of being silently ignored.
enum ConfigSchema {
    indirect enum Entry {
        /// A directive we read.
        case value
        /// A block with its own known children.
        case block([String: Entry])
        /// An SRS directive (or whole block) SwiftSRS accepts but does not implement.
        case unsupported
        /// A block whose children are free-form (ffmpeg options).
        case any
    }

    static let root: [String: Entry] = [
        "listen": .value, "pid": .value, "max_connections": .value, "daemon": .value,
        "disable_daemon_for_docker": .value, "in_docker": .value, "inotify_auto_reload": .value,
        "auto_reload_for_docker": .value, "grace_start_wait": .value, "grace_final_wait": .value,
        "grace_max_wait": .value, "force_grace_quit": .value, "srs_log_tank": .value, "srs_log_level": .value,
        "srs_log_file": .value, "work_dir": .value, "server_id": .value, "chunk_size": .value,
        "worker_processes": .value, "client_header_timeout": .value, "client_body_timeout": .value,
        "rtmp_handshake_timeout": .value, "rtmp_command_timeout": .value, "ff_log_dir": .value, "ff_log_level": .value,
        "http_api": .block([
            "enabled": .value, "listen": .value, "crossdomain": .value,
            "raw_api": .block(["enabled": .value, "allow_reload": .value, "allow_query": .unsupported, "allow_update": .unsupported]),
            "auth": .block(["enabled": .value, "username": .value, "password": .value]),
            "https": .unsupported,
        ]),
        "http_server": .block(["enabled": .value, "listen": .value, "dir": .value, "crossdomain": .value, "https": .unsupported]),
        "exporter": .block(["enabled": .value, "listen": .value, "label": .value, "tag": .value]),
        "vhost": .block(vhost),
        "srt_server": .block([
            "enabled": .value, "listen": .value, "maxbw": .value, "mss": .value, "tsbpdmode": .value, "latency": .value,
            "recvlatency": .value, "peerlatency": .value, "tlpktdrop": .value, "tlpkdrop": .value, "connect_timeout": .value,
            "peer_idle_timeout": .value, "sendbuf": .value, "recvbuf": .value, "payloadsize": .value, "passphrase": .value,
            "pbkeylen": .value, "default_app": .value, "sei_filter": .unsupported, "mix_correct": .unsupported,
        ]),
        // SRS features outside this server's scope.
        "srs_log_level_v2": .unsupported, "asprocess": .unsupported, "empty_ip_ok": .unsupported,
        "utc_time": .value,
        "pithy_print_ms": .unsupported, "query_latest_version": .unsupported, "first_wait_for_qlv": .unsupported,
        "tcmalloc_release_rate": .unsupported, "is_full": .unsupported, "rtc_server": .unsupported,
        "stream_caster": .unsupported, "heartbeat": .unsupported, "stats": .unsupported,
        "circuit_breaker": .unsupported, "threads": .unsupported,
        "tencentcloud_apm": .unsupported, "tencentcloud_cls": .unsupported,
    ]

    static let vhost: [String: Entry] = [
        "enabled": .value,
        "cluster": .block([
            "mode": .value, "origin": .value, "token_traverse": .value, "vhost": .value, "debug_srs_upnode": .unsupported,
            "origin_cluster": .value, "coworkers": .value, "protocol": .value, "follow_client": .unsupported,
        ]),
        "play": .block([
            "gop_cache": .value, "gop_cache_max_frames": .value, "queue_length": .value, "time_jitter": .unsupported,
            "mw_latency": .value, "mw_msgs": .value, "mix_correct": .unsupported, "atc": .unsupported,
            "atc_auto": .unsupported, "send_min_interval": .unsupported, "reduce_sequence_header": .unsupported,
        ]),
        "publish": .block([
            "firstpkt_timeout": .value, "normal_timeout": .value, "parse_sps": .unsupported, "mr": .unsupported,
            "mr_latency": .unsupported, "kickoff_for_idle": .unsupported, "try_annexb_first": .unsupported,
        ]),
        "hls": .block([
            "enabled": .value, "hls_fragment": .value, "hls_td_ratio": .value, "hls_aof_ratio": .value,
            "hls_window": .value, "hls_path": .value, "hls_m3u8_file": .value, "hls_ts_file": .value,
            "hls_entry_prefix": .value, "hls_cleanup": .value, "hls_dispose": .value, "hls_wait_keyframe": .value,
            "hls_ts_floor": .unsupported, "hls_acodec": .unsupported, "hls_vcodec": .unsupported,
            "hls_nb_notify": .value, "hls_dts_directly": .unsupported, "hls_ctx": .value,
            "hls_ts_ctx": .value, "hls_on_error": .unsupported, "hls_keys": .unsupported,
            "hls_fragments_per_key": .unsupported, "hls_key_file": .unsupported, "hls_key_file_path": .unsupported,
            "hls_key_url": .unsupported,
        ]),
        "http_remux": .block([
            "enabled": .value, "mount": .value, "has_audio": .value, "has_video": .value, "publish_wait_timeout": .value,
            "guess_has_av": .unsupported,
            "fast_cache": .unsupported, "drop_if_not_match": .unsupported,
        ]),
        "chunk_size": .unsupported, "tcp_nodelay": .value, "min_latency": .value,
        "in_ack_size": .unsupported, "out_ack_size": .unsupported,
        "dvr": .block([
            "enabled": .value, "dvr_apply": .value, "dvr_plan": .value, "dvr_path": .value, "dvr_duration": .value,
            "dvr_wait_keyframe": .value, "time_jitter": .value,
        ]),
        "http_hooks": .block([
            "enabled": .value, "on_connect": .value, "on_close": .value, "on_publish": .value, "on_unpublish": .value,
            "on_play": .value, "on_stop": .value, "on_dvr": .value, "on_hls": .value, "on_hls_notify": .value, "timeout": .value,
        ]),
        "security": .block(["enabled": .value, "allow": .value, "deny": .value]),
        "http_static": .unsupported, "rtc": .unsupported, "srt": .block(["enabled": .value, "srt_to_rtmp": .value]), "dash": .unsupported,
        "hds": .unsupported,
        "forward": .block(["enabled": .value, "destination": .value, "backend": .value]),
        "exec": .block(["enabled": .value, "publish": .value]),
        "ingest": .block([
            "enabled": .value, "input": .block(["type": .value, "url": .value]), "ffmpeg": .value, "engine": .block(engine),
        ]),
        "transcode": .block(["enabled": .value, "ffmpeg": .value, "engine": .block(engine)]), "refer": .unsupported, "bandcheck": .unsupported,
    ]

    /// An `engine` of `transcode` or `ingest`; its option blocks take any ffmpeg option.
    static let engine: [String: Entry] = [
        "enabled": .value, "perfile": .any, "iformat": .value, "vfilter": .any, "vcodec": .value, "vbitrate": .value,
        "vfps": .value, "vwidth": .value, "vheight": .value, "vthreads": .value, "vprofile": .value, "vpreset": .value,
        "vparams": .any, "acodec": .value, "abitrate": .value, "asample_rate": .value, "achannels": .value,
        "aparams": .any, "oformat": .value, "output": .value,
    ]

    /// Warns about every directive not in the schema, and every known one SwiftSRS ignores.
    static func check(_ directives: [ConfigDirective], warnings: ConfigWarnings) {
        check(directives, against: root, context: "", warnings: warnings)
    }

    private static func check(_ list: [ConfigDirective], against known: [String: Entry], context: String,
                              warnings: ConfigWarnings) {
        let inside = context.isEmpty ? "" : " in \(context)"
        for d in list {
            switch known[d.name] {
            case nil:
                warnings.add("\(d.location): unknown directive \"\(d.name)\"\(inside), ignored")
            case .unsupported:
                warnings.add("\(d.location): \"\(d.name)\"\(inside) is not supported by SwiftSRS, ignored")
            case .value:
                if d.isBlock { warnings.add("\(d.location): \"\(d.name)\"\(inside) takes no block, block ignored") }
            case .any:
                continue
            case .block(let children):
                check(d.children, against: children, context: context.isEmpty ? d.name : "\(context).\(d.name)", warnings: warnings)
            }
        }
    }
}
