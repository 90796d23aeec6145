/// A segment an `HLSWriter` just wrote and listed (for on_hls and on_hls_notify).
struct HLSWrittenSegment: Equatable {
    /// The segment's path (`./objs/nginx/html/live/s-3.ts`) and its URI in the playlist
    /// (`s-3.ts`, or with `hls_entry_prefix`).
    var path: String
    var uri: String
    /// The playlist's path and its name under hls_path (`live/s.m3u8`).
    var playlistPath: String
    var playlistURL: String
    var sequence: Int
    var durationMs: Int64
}
