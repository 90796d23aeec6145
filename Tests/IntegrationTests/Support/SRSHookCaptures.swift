/// What SRS 7.0.18 sent to a hook server (captured here, /work/shared/reference/srs7-captures):
/// an ffmpeg publish of `live/livestream?token=abc&x=1` with HLS (2 s) and DVR, an ffprobe RTMP
/// play with `?ptoken=p1`, an ffprobe HTTP-FLV play with `?ftoken=f1`. Hook server on
/// 127.0.0.1:18085, RTMP on 19935, cwd /work/cap, `hls_path ./html`.
enum SRSHookCaptures {
    /// One body per kind (the first one of each), keyed by a label.
    static let bodies: [String: String] = [
        "publisher on_connect": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_connect","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","stream":"livestream","param":"?token=abc&x=1","tcUrl":"rtmp://127.0.0.1:19935/live","pageUrl":""}"#,
        "publisher on_publish": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_publish","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:19935/live","stream":"livestream","param":"?token=abc&x=1","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#,
        "publisher on_hls": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_hls","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:19935/live","stream":"livestream","param":"?token=abc&x=1","duration":2.02,"cwd":"/work/cap","file":"./html/live/livestream-0.ts","url":"live/livestream-0.ts","m3u8":"./html/live/livestream.m3u8","m3u8_url":"live/livestream.m3u8","seq_no":0,"stream_url":"/live/livestream","stream_id":"vid-p967926"}"#,
        "publisher on_unpublish": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_unpublish","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:19935/live","stream":"livestream","param":"?token=abc&x=1","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#,
        "publisher on_close": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_close","client_id":"839l0y25","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","send_bytes":4501,"recv_bytes":279136}"#,
        "rtmp player on_connect": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_connect","client_id":"z75656w7","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","stream":"livestream","param":"?ptoken=p1","tcUrl":"rtmp://127.0.0.1:19935/live","pageUrl":""}"#,
        "rtmp player on_play": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_play","client_id":"z75656w7","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","stream":"livestream","tcUrl":"rtmp://127.0.0.1:19935/live","param":"?ptoken=p1","pageUrl":"","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#,
        "rtmp player on_stop": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_stop","client_id":"z75656w7","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://127.0.0.1:19935/live","stream":"livestream","param":"?ptoken=p1","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#,
        "rtmp player on_close": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_close","client_id":"z75656w7","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","send_bytes":64933,"recv_bytes":3545}"#,
        "flv player on_play": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_play","client_id":"p88lwi89","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","stream":"livestream","tcUrl":"rtmp://__defaultVhost__/live","param":"?ftoken=f1","pageUrl":"","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#,
        "flv player on_stop": #"{"server_id":"vid-90dh6c5","service_id":"08m9j1cc","action":"on_stop","client_id":"p88lwi89","ip":"127.0.0.1","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://__defaultVhost__/live","stream":"livestream","param":"?ftoken=f1","stream_url":"/live/livestream","stream_id":"vid-p967926"}"#,
    ]

    /// The first on_hls_notify: a GET with an empty body.
    static let notifyPath = "/api/v1/hls/vid-90dh6c5/live/livestream/livestream-0.ts?token=abc&x=1"
    /// The header names SRS sends, in its order (a std::map's), and the fixed values.
    static let headerNames = ["Connection", "Content-Length", "Content-Type", "Host", "User-Agent"]
    static let fixedHeaders = ["Connection": "Keep-Alive", "Content-Type": "application/json"]
}
