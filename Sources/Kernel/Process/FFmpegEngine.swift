/// One `engine [name] { ... }` of a `transcode` or `ingest` block, with SRS's defaults
/// (`srs_app_config.cpp`, `get_engine_*`). The option blocks (`perfile`, `vfilter`, `vparams`,
/// `aparams`) are kept as the arguments they become: each `name value;` inside is `-name value`
/// (`-` added unless the name has it; no value when the directive has none).
public struct FFmpegEngine: Equatable, Sendable {
    /// The engine's name (`engine sd { }`: `sd`; `[engine]` in outputs, the log file's suffix).
    public var name: String
    /// Default off.
    public var enabled = false
    /// Options before `-i`.
    public var perfile: [String] = []
    /// `-f` before `-i`: default `flv`; `off` or empty for none (and none unless the input is
    /// RTMP, as SRS).
    public var iformat = "flv"
    /// Options after the input (filters, a second input...).
    public var vfilter: [String] = []
    /// `-vcodec`: an encoder, `copy`, or `vn` (no video). Empty in an ingest means copy.
    public var vcodec = ""
    /// kbps (`-b:v` in bps); 0 keeps the source's.
    public var vbitrate = 0
    /// `-r`, 0 keeps the source's.
    public var vfps = 0.0
    /// `-s WxH` and `-aspect W:H`, when both are set (odd values are made even, as SRS).
    public var vwidth = 0
    public var vheight = 0
    /// `-threads`, default 1.
    public var vthreads = 1
    /// `-profile:v` and `-preset`: required when encoding video.
    public var vprofile = ""
    public var vpreset = ""
    /// Options after `-preset`.
    public var vparams: [String] = []
    /// `-acodec`: an encoder, `copy`, or `an` (no audio). Empty in an ingest means copy.
    public var acodec = ""
    /// kbps (`-b:a` in bps), `-ar`, `-ac`; 0 keeps the source's.
    public var abitrate = 0
    public var asampleRate = 0
    public var achannels = 0
    /// Options after `-ac`; with `acodec copy` only `-bsf:a aac_adtstoasc` is kept (SRS).
    public var aparams: [String] = []
    /// `-f` before the output: default `flv`; `off` or empty for none.
    public var oformat = "flv"
    /// The output template (see `ProcessTemplate`); required.
    public var output = ""

    public init(name: String = "") { self.name = name }

    /// SRS's codec words.
    public static let copy = "copy"
    public static let noVideo = "vn"
    public static let noAudio = "an"

    /// Why SRS would refuse this engine (`SrsFFMPEG::initialize_transcode`), or nil. SRS finds
    /// out when a stream is published, and refuses the publish; we check the config instead.
    public var refusal: String? {
        if vcodec == Self.noVideo && acodec == Self.noAudio { return "video and audio disabled" }
        if vcodec != Self.copy && vcodec != Self.noVideo && vcodec != "png" {
            if vbitrate < 0 { return "invalid vbitrate: \(vbitrate)" }
            if vfps < 0 { return "invalid vfps: \(vfps)" }
            if vwidth < 0 { return "invalid vwidth: \(vwidth)" }
            if vheight < 0 { return "invalid vheight: \(vheight)" }
            if vthreads < 0 { return "invalid vthreads: \(vthreads)" }
            if vprofile.isEmpty { return "vprofile is required to encode video (vcodec \(vcodec))" }
            if vpreset.isEmpty { return "vpreset is required to encode video (vcodec \(vcodec))" }
        }
        if acodec == "libaacplus" && abitrate != 0 && !(16...72).contains(abitrate) {
            return "invalid abitrate for aac: \(abitrate), must in [16, 72]"
        }
        if acodec != Self.copy && acodec != Self.noAudio {
            if abitrate < 0 { return "invalid abitrate: \(abitrate)" }
            if asampleRate < 0 { return "invalid sample rate: \(asampleRate)" }
            if ![0, 1, 2].contains(achannels) { return "invalid achannels, must be 1 or 2, actual \(achannels)" }
        }
        if output.isEmpty { return "invalid empty output" }
        return nil
    }
}
