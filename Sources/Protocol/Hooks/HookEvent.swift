/// One `http_hooks` event and its request body, as SRS 7 sends them (`srs_app_http_hooks.cpp`):
/// a JSON object whose members come in SRS's order, which differs between events, compact,
/// numbers as SRS prints them (`"duration":2.02`, `"send_bytes":64933`). Hook servers that log
/// or sign the raw body see the same bytes as from SRS (ids and times aside).
public enum HookEvent: Equatable, Sendable {
    /// The client named its stream (SRS calls on_connect then, not at RTMP `connect`). Decides.
    case connect
    /// The connection closed. Informational.
    case close(sendBytes: UInt64, recvBytes: UInt64)
    /// Decides whether the client may publish.
    case publish
    /// A publish that was accepted ended. Informational.
    case unpublish
    /// Decides whether the client may play.
    case play
    /// A play that was accepted ended. Informational.
    case stop
    /// A DVR file was closed. Informational. `cwd` is the server's working directory, `file`
    /// the path as configured (`./objs/nginx/html/live/s.1700000000000.flv`).
    case dvr(cwd: String, file: String)
    /// An HLS segment was written. Informational.
    case hls(HLSSegmentHook)

    /// SRS's `action` member.
    public var action: String {
        switch self {
        case .connect: return "on_connect"
        case .close: return "on_close"
        case .publish: return "on_publish"
        case .unpublish: return "on_unpublish"
        case .play: return "on_play"
        case .stop: return "on_stop"
        case .dvr: return "on_dvr"
        case .hls: return "on_hls"
        }
    }

    /// True for the events whose answer accepts or refuses the client.
    public var decides: Bool {
        switch self {
        case .connect, .publish, .play: return true
        case .close, .unpublish, .stop, .dvr, .hls: return false
        }
    }

    /// The POST body for `client`, sent by `server`.
    public func body(client c: HookClient, server: HookServerIdentity) -> [UInt8] {
        var w = JSONObjectWriter()
        w.string("server_id", server.serverID)
        w.string("service_id", server.serviceID)
        w.string("action", action)
        w.string("client_id", c.clientID)
        w.string("ip", c.ip)
        w.string("vhost", c.vhost)
        w.string("app", c.app)
        switch self {
        case .connect:
            w.string("stream", c.stream)
            w.string("param", c.param)
            w.string("tcUrl", c.tcUrl)
            w.string("pageUrl", c.pageUrl)
            return w.finish()
        case .close(let sent, let received):
            w.raw("send_bytes", String(sent))
            w.raw("recv_bytes", String(received))
            return w.finish()
        case .play:
            w.string("stream", c.stream)
            w.string("tcUrl", c.tcUrl)
            w.string("param", c.param)
            w.string("pageUrl", c.pageUrl)
        case .publish, .unpublish, .stop:
            w.string("tcUrl", c.tcUrl)
            w.string("stream", c.stream)
            w.string("param", c.param)
        case .dvr(let cwd, let file):
            w.string("tcUrl", c.tcUrl)
            w.string("stream", c.stream)
            w.string("param", c.param)
            w.string("cwd", cwd)
            w.string("file", file)
        case .hls(let s):
            w.string("tcUrl", c.tcUrl)
            w.string("stream", c.stream)
            w.string("param", c.param)
            w.raw("duration", Self.seconds2(milliseconds: s.durationMs))
            w.string("cwd", s.cwd)
            w.string("file", s.file)
            w.string("url", s.url)
            w.string("m3u8", s.m3u8)
            w.string("m3u8_url", s.m3u8URL)
            w.raw("seq_no", String(s.sequence))
        }
        w.string("stream_url", c.streamURL)
        if let id = c.streamID { w.string("stream_id", id) }
        return w.finish()
    }

    /// `ms / 1000.0` printed as C's `%.2f` (SRS: `srsu2ms(duration) / 1000.0` into a JSON
    /// number): the double's exact value rounded to two decimals, ties to even, as glibc's
    /// printf. `2025` → `2.02` (the double nearest 2.025 lies below it), `125` → `0.12`.
    public static func seconds2(milliseconds ms: Int64) -> String {
        let cents = roundedCents(Double(ms.magnitude) / 1000)
        let text = "\(cents / 100)." + (cents % 100 < 10 ? "0" : "") + "\(cents % 100)"
        return ms < 0 && cents > 0 ? "-" + text : text
    }

    /// `d * 100` rounded half to even, from the exact binary value of `d` (no second rounding).
    static func roundedCents(_ d: Double) -> UInt64 {
        guard d.isNormal, d > 0 else { return 0 }
        // d = s * 2^e exactly, s < 2^53.
        let e = Int(d.exponent) - Double.significandBitCount
        let s = (UInt64(1) << UInt64(Double.significandBitCount)) | d.significandBitPattern
        guard e < 0 else { return UInt64(d) &* 100 }
        let shift = UInt64(-e)
        let scaled = s * 100  // < 2^60
        // Below 2^60 / 2^64 of a cent: rounds to 0.
        guard shift < 64 else { return 0 }
        let q = scaled >> shift
        let r = scaled & ((UInt64(1) << shift) - 1)
        let half = UInt64(1) << (shift - 1)
        return r > half || (r == half && q % 2 == 1) ? q + 1 : q
    }
}

/// What `on_hls` tells about a segment just written (SRS's `SrsDvrAsyncCallOnHls`).
public struct HLSSegmentHook: Equatable, Sendable {
    /// The segment's duration in ms (printed in seconds with two decimals).
    public var durationMs: Int64
    /// The server's working directory.
    public var cwd: String
    /// The segment's path as configured (`./objs/nginx/html/live/s-0.ts`).
    public var file: String
    /// The segment's URL: the playlist's directory and the segment's URI (`live/s-0.ts`), or
    /// the URI alone when it is absolute (`hls_entry_prefix http://cdn/`).
    public var url: String
    /// The playlist's path and its URL relative to hls_path.
    public var m3u8: String
    public var m3u8URL: String
    public var sequence: Int

    /// `uri` is the segment as the playlist lists it (`s-0.ts`, or with hls_entry_prefix).
    public init(durationMs: Int64, cwd: String, file: String, uri: String, m3u8: String, m3u8URL: String, sequence: Int) {
        self.durationMs = durationMs
        self.cwd = cwd
        self.file = file
        self.m3u8 = m3u8
        self.m3u8URL = m3u8URL
        self.sequence = sequence
        // SRS: prefix = srs_path_dirname(m3u8_url) ("./" when it has no slash), joined unless the
        // URI is absolute.
        let prefix: String
        if let slash = m3u8URL.lastIndex(of: "/") {
            prefix = slash == m3u8URL.startIndex ? "/" : String(m3u8URL[..<slash])
        } else {
            prefix = "./"
        }
        url = HookURL.isHTTP(uri) ? uri : prefix + "/" + uri
    }
}

/// Writes a compact JSON object member by member, strings escaped as `JSONValue` does.
struct JSONObjectWriter {
    private var out: [UInt8] = [0x7B]

    mutating func string(_ name: String, _ value: String) {
        raw(name, JSONValue.string(value).encode())
    }

    /// A member whose value is already JSON text (a number formatted our way).
    mutating func raw(_ name: String, _ text: String) {
        if out.count > 1 { out.append(0x2C) }
        out += JSONValue.string(name).encodedBytes()
        out.append(0x3A)
        out += Array(text.utf8)
    }

    mutating func finish() -> [UInt8] {
        out.append(0x7D)
        return out
    }
}
