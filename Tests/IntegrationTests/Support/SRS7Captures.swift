/// Real answers of SRS 7.0.18 (`objs/srs` built from /work/srs7, `exporter { enabled on; label
/// cn-beijing; tag cn-edge; }`, captured with curl), to compare SwiftSRS's shapes with: the same
/// members, with the same kinds of values (SwiftSRS may add members of its own).
enum SRS7Captures {
    static let rusages = #"""
{"code":0,"server":"vid-73363u2","service":"8904p657","pid":"23231","data":{"ok":true,"sample_time":1796555508366,"ru_utime":0,"ru_stime":0,"ru_maxrss":13984,"ru_ixrss":0,"ru_idrss":0,"ru_isrss":0,"ru_minflt":1665,"ru_majflt":0,"ru_nswap":0,"ru_inblock":0,"ru_oublock":24,"ru_msgsnd":0,"ru_msgrcv":0,"ru_nsignals":0,"ru_nvcsw":0,"ru_nivcsw":2}}
"""#

    static let selfProcStats = #"""
{"code":0,"server":"vid-73363u2","service":"8904p657","pid":"23231","data":{"ok":true,"sample_time":1796555510362,"percent":0.00,"pid":23231,"comm":"(srs)","state":"R","ppid":1,"pgrp":23226,"session":20346,"tty_nr":0,"tpgid":-1,"flags":4194304,"minflt":1666,"cminflt":0,"majflt":0,"cmajflt":0,"utime":0,"stime":0,"cutime":0,"cstime":0,"priority":20,"nice":0,"num_threads":1,"itrealvalue":0,"starttime":1302140,"vsize":23404544,"rss":3496,"rsslim":-1,"startcode":94005792763904,"endcode":94005794858121,"startstack":140727982225776,"kstkesp":0,"kstkeip":0,"signal":0,"blocked":0,"sigignore":4096,"sigcatch":16935,"wchan":0,"nswap":0,"cnswap":0,"exit_signal":17,"processor":1,"rt_priority":0,"policy":0,"delayacct_blkio_ticks":0,"guest_time":0,"cguest_time":0}}
"""#

    static let systemProcStats = #"""
{"code":0,"server":"vid-73363u2","service":"8904p657","pid":"23231","data":{"ok":true,"sample_time":1796555510362,"percent":1.00,"user":1271386,"nice":12583,"sys":162982,"idle":1126170,"iowait":3498,"irq":0,"softirq":14067,"steal":13233,"guest":0}}
"""#

    static let meminfos = #"""
{"code":0,"server":"vid-73363u2","service":"8904p657","pid":"23231","data":{"ok":true,"sample_time":1796555508366,"percent_ram":0.03,"percent_swap":0.00,"MemActive":5411248,"RealInUse":691024,"NotInUse":24040376,"MemTotal":24731400,"MemFree":19320152,"Buffers":276152,"Cached":4444072,"SwapTotal":0,"SwapFree":0}}
"""#

    static let features = #"""
{"code":0,"server":"vid-73363u2","service":"8904p657","pid":"23231","data":{"options":"--rtc=off --srt=off --ffmpeg-fit=off --ffmpeg-opus=off --utest=off --gb28181=off --sanitizer=off --sys-ssl=on","options2":"--prefix=/usr/local/srs --config=conf/srs.conf --osx=off --hls=on --hds=off --dvr=on --ssl=on --https=on --ssl-1-0=off --ssl-local=off --sys-ssl=on --transcode=on --ingest=on --stat=on --http-callback=on --http-server=on --stream-converter=on --http-api=on --utest=off --srt=off --sys-srt=off --rtc=off --h265=on --gb28181=off --simulator=off --cxx11=on --cxx14=off --backtrace=on --ffmpeg-fit=off --sys-ffmpeg=off --ffmpeg-opus=off --nasm=on --srtp-nasm=off --sys-srtp=off --clean=on --gperf=off --gmc=off --gmd=off --gmp=off --gcp=off --gprof=off --static=off --shared-st=off --shared-srt=reserved --shared-ffmpeg=reserved --shared-srtp=reserved --log-verbose=off --log-info=off --log-trace=on --log-level_v2=on --gcov=off --apm=off --debug=off --debug-stats=off --cross-build=off --sanitizer=off --sanitizer-static=off --sanitizer-log=off --cygwin64=off --single-thread=on --signal-api=off --generic-linux=off --build-cache=on --cc=gcc --cxx=g++ --ar=ar --ld=ld --randlib=randlib","build":"2026-12-06 07:53:14","build2":"1796543594","features":{"ssl":true,"hls":true,"hds":false,"callback":true,"api":true,"httpd":true,"dvr":true,"transcode":true,"ingest":true,"stat":true,"caster":true,"complex_send":true,"tcp_nodelay":true,"so_sendbuf":false,"mr":true}}}
"""#

    static let authors = #"""
{"code":0,"server":"vid-73363u2","service":"8904p657","pid":"23231","data":{"license":"MIT","contributors":"https://github.com/ossrs/srs/blob/develop/trunk/AUTHORS.md#contributors"}}
"""#

    static let testsRequests = #"""
{"code":0,"server":"vid-73363u2","service":"8904p657","pid":"23231","data":{"uri":"http://127.0.0.1/api/v1/tests/requests","path":"/api/v1/tests/requests","METHOD":"GET","headers":{"sigature":"SRS","version":"7.0.18","link":"https://github.com/ossrs/srs","time":1796556000554}}}
"""#

    static let summaries = #"""
{"code":0,"server":"vid-73363u2","service":"8904p657","pid":"23231","data":{"ok":true,"now_ms":1796555510448,"self":{"version":"7.0.18","pid":23231,"ppid":1,"argv":"./objs/srs -c /tmp/srs7cap/srs.conf","cwd":"/work/srs7/src/trunk","mem_kbyte":13984,"mem_percent":0.00,"cpu_percent":0.00,"srs_uptime":2},"system":{"cpu_percent":1.00,"disk_read_KBps":0,"disk_write_KBps":0,"disk_busy_percent":0.00,"mem_ram_kbyte":24731400,"mem_ram_percent":0.03,"mem_swap_kbyte":0,"mem_swap_percent":0.00,"cpus":2,"cpus_online":2,"uptime":13021.42,"ilde_time":11261.70,"load_1m":1.51,"load_5m":0.80,"load_15m":1.03,"net_sample_time":1796555508366,"net_recv_bytes":0,"net_send_bytes":0,"net_recvi_bytes":127495442441,"net_sendi_bytes":127242932812,"srs_sample_time":1796555508366,"srs_recv_bytes":0,"srs_send_bytes":0,"conn_sys":5,"conn_sys_et":0,"conn_sys_tw":0,"conn_sys_udp":0,"conn_srs":0}}}
"""#

    static let v1Listing = #"""
{"code":0,"server":"vid-73363u2","service":"8904p657","pid":"23231","urls":{"versions":"the version of SRS","summaries":"the summary(pid, argv, pwd, cpu, mem) of SRS","rusages":"the rusage of SRS","self_proc_stats":"the self process stats","system_proc_stats":"the system process stats","meminfos":"the meminfo of system","authors":"the license, copyright, authors and contributors","features":"the supported features of SRS","requests":"the request itself, for http debug","vhosts":"manage all vhosts or specified vhost","streams":"manage all streams or specified stream","clients":"manage all clients or specified client, default query top 10 clients","raw":"raw api for srs, support CUID srs for instance the config","clusters":"origin cluster server API","perf":"System performance stat","tcmalloc":"tcmalloc api with params ?page=summary|api"},"tests":{"requests":"show the request info","errors":"always return an error 100","redirects":"always redirect to /api/v1/test/errors","[vhost]":"http vhost for http://error.srs.com:1985/api/v1/tests/errors"}}
"""#

    /// These three from the project's reference captures (/work/shared/reference/srs7-api-responses:
    /// a publisher, an RTMP and an HTTP-FLV player).
    static let streams = #"""
{"code":0,"server":"vid-h4497m6","service":"nq898019","pid":"15640","streams":[{"id":"vid-4c2g4j5","name":"livestream","vhost":"vid-947102l","app":"live","tcUrl":"rtmp://127.0.0.1:19351/live","url":"/live/livestream","live_ms":1795482576669,"clients":3,"frames":0,"send_bytes":2079964,"recv_bytes":1513899,"kbps":{"recv_30s":0,"send_30s":0},"publish":{"active":true,"cid":"g31i758c"},"video":{"codec":"H264","profile":"Baseline","level":"3","width":640,"height":360},"audio":{"codec":"AAC","sample_rate":44100,"channel":2,"profile":"LC"}}]}
"""#

    static let clients = #"""
{"code":0,"server":"vid-h4497m6","service":"nq898019","pid":"15640","clients":[{"id":"34sbz0d5","vhost":"vid-947102l","stream":"vid-4c2g4j5","ip":"127.0.0.1","pageUrl":"","swfUrl":"","tcUrl":"rtmp://127.0.0.1:19351/live","url":"/live/livestream","name":"livestream","type":"rtmp-play","publish":false,"alive":3.76,"send_bytes":1020891,"recv_bytes":3483,"kbps":{"recv_30s":0,"send_30s":0}},{"id":"426z8a7u","vhost":"vid-947102l","stream":"vid-4c2g4j5","ip":"127.0.0.1","pageUrl":"","swfUrl":"","tcUrl":"http://127.0.0.1:19351/live","url":"/live/livestream","name":"livestream.flv","type":"flv-play","publish":false,"alive":3.92,"send_bytes":1054689,"recv_bytes":154,"kbps":{"recv_30s":0,"send_30s":0}},{"id":"g31i758c","vhost":"vid-947102l","stream":"vid-4c2g4j5","ip":"127.0.0.1","pageUrl":"","swfUrl":"","tcUrl":"rtmp://127.0.0.1:19351/live","url":"/live/livestream","name":"livestream","type":"fmle-publish","publish":true,"alive":6.56,"send_bytes":4384,"recv_bytes":1510262,"kbps":{"recv_30s":0,"send_30s":0}}]}
"""#

    static let vhosts = #"""
{"code":0,"server":"vid-h4497m6","service":"32150o13","pid":"26814","vhosts":[{"id":"vid-8hh47k7","name":"__defaultVhost__","enabled":true,"clients":3,"streams":1,"send_bytes":5884007,"recv_bytes":6086559,"kbps":{"recv_30s":1151,"send_30s":1065},"hls":{"enabled":true,"fragment":2.00}}]}
"""#

    /// `GET :9972/metrics` (no stream, no client).
    static let metrics = #"""
# HELP srs_node_uname_info Labeled system information as provided by the uname system call.
# TYPE srs_node_uname_info gauge
srs_node_uname_info{sysname="Linux",nodename="vm",release="6.18.44-fc-v1272",version="#1 SMP PREEMPT_DYNAMIC @0",machine="x86_64"} 1
# HELP srs_build_info A metric with a constant '1' value labeled by build_date, version from which SRS was built.
# TYPE srs_build_info gauge
srs_build_info{server="vid-73363u2",service="8904p657",pid="23231",build_date="2026-12-06 07:53:14",major="7",version="7.0.18",code="Hang",label="cn-beijing",tag="cn-edge"} 1
# HELP srs_cpu_percent SRS cpu used percent.
# TYPE srs_cpu_percent gauge
srs_cpu_percent 0
# HELP srs_memory SRS memory used.
# TYPE srs_memory gauge
srs_memory 13984
# HELP srs_send_bytes_total SRS total sent bytes.
# TYPE srs_send_bytes_total counter
srs_send_bytes_total 0
# HELP srs_receive_bytes_total SRS total received bytes.
# TYPE srs_receive_bytes_total counter
srs_receive_bytes_total 0
# HELP srs_streams The number of SRS concurrent streams.
# TYPE srs_streams gauge
srs_streams 0
# HELP srs_clients The number of SRS concurrent clients.
# TYPE srs_clients gauge
srs_clients 0
# HELP srs_clients_total The total counts of SRS clients.
# TYPE srs_clients_total counter
srs_clients_total 0
# HELP srs_clients_errs_total The total errors of SRS clients.
# TYPE srs_clients_errs_total counter
srs_clients_errs_total 0
"""#
}
