/// The command line SRS gives ffmpeg (`SrsFFMPEG::start`), in SRS's order:
///
/// ```
/// ffmpeg <iparams> <perfile> [-f iformat] -i <input> <vfilter>
///        -vcodec <vcodec> [-b:v bps] [-r fps] [-s WxH -aspect W:H] [-threads n] [-profile:v p] [-preset p] <vparams>
///        -acodec <acodec> [-b:a bps] [-ar rate] [-ac n] <aparams>
///        [-f oformat] -y <output>
/// ```
///
/// (`-vn`/`-an` instead of a disabled codec; no video options with `copy`; with audio `copy`,
/// only `-bsf:a aac_adtstoasc` of the aparams.) SRS appends `1 > log 2 > log` and strips them
/// again before exec; here the log is not part of the arguments (`ChildCommand` has it).
public struct FFmpegArguments: Equatable, Sendable {
    /// Arguments before everything else (an ingest's `-loglevel info -re`).
    public var iparams: [String] = []
    public var input: String
    public var output: String
    /// The engine's settings; codecs are `copy` for a copy.
    public var engine: FFmpegEngine

    /// A transcode with `engine` (its `output` is ignored: `output` is the rendered one). As SRS,
    /// `iformat` applies only to an RTMP input, and odd sizes are made even.
    public init(transcode engine: FFmpegEngine, input: String, output: String, iparams: [String] = []) {
        var e = engine
        e.vwidth -= e.vwidth % 2
        e.vheight -= e.vheight % 2
        if !input.hasPrefix("rtmp://") { e.iformat = "" }
        self.engine = e
        self.input = input
        self.output = output
        self.iparams = iparams
    }

    /// A copy of both tracks (`SrsFFMPEG::initialize_copy`): no input format, no options,
    /// output format `oformat`.
    public init(copyFrom input: String, output: String, oformat: String, iparams: [String] = []) {
        var e = FFmpegEngine()
        e.iformat = ""
        e.vcodec = FFmpegEngine.copy
        e.acodec = FFmpegEngine.copy
        e.vthreads = 0
        e.oformat = oformat
        self.engine = e
        self.input = input
        self.output = output
        self.iparams = iparams
    }

    /// The arguments after the program's name.
    public var arguments: [String] {
        let e = engine
        var p: [String] = iparams.filter { !$0.isEmpty } + e.perfile.filter { !$0.isEmpty }
        if e.iformat != "off" && !e.iformat.isEmpty { p += ["-f", e.iformat] }
        p += ["-i", input]
        p += e.vfilter.filter { !$0.isEmpty }
        p += e.vcodec != FFmpegEngine.noVideo ? ["-vcodec", e.vcodec] : ["-vn"]
        if e.vcodec != FFmpegEngine.copy && e.vcodec != FFmpegEngine.noVideo {
            if e.vbitrate > 0 { p += ["-b:v", String(e.vbitrate * 1000)] }
            if e.vfps > 0 { p += ["-r", Self.fixed2(e.vfps)] }
            if e.vwidth > 0 && e.vheight > 0 {
                p += ["-s", "\(e.vwidth)x\(e.vheight)", "-aspect", "\(e.vwidth):\(e.vheight)"]
            }
            if e.vthreads > 0 { p += ["-threads", String(e.vthreads)] }
            if !e.vprofile.isEmpty { p += ["-profile:v", e.vprofile] }
            if !e.vpreset.isEmpty { p += ["-preset", e.vpreset] }
            p += e.vparams.filter { !$0.isEmpty }
        }
        if e.acodec != FFmpegEngine.noAudio {
            p += ["-acodec", e.acodec]
            if e.acodec != FFmpegEngine.copy {
                if e.abitrate > 0 { p += ["-b:a", String(e.abitrate * 1000)] }
                if e.asampleRate > 0 { p += ["-ar", String(e.asampleRate)] }
                if e.achannels > 0 { p += ["-ac", String(e.achannels)] }
                p += e.aparams.filter { !$0.isEmpty }
            } else {
                var i = 0
                while i < e.aparams.count {
                    let name = e.aparams[i]
                    i += 1
                    if name == "-bsf:a" && i < e.aparams.count {
                        if e.aparams[i] == "aac_adtstoasc" { p += [name, e.aparams[i]] }
                        i += 1
                    }
                }
            }
        } else {
            p.append("-an")
        }
        if e.oformat != "off" && !e.oformat.isEmpty { p += ["-f", e.oformat] }
        p += ["-y", output]
        return p
    }

    /// `%.2f`, as SRS's `srs_float2str` (20 → "20.00", 29.97 → "29.97").
    static func fixed2(_ v: Double) -> String {
        let hundredths = Int64((v * 100).rounded())
        let whole = hundredths / 100
        let frac = hundredths % 100
        return "\(whole)." + (frac < 10 ? "0\(frac)" : "\(frac)")
    }
}
