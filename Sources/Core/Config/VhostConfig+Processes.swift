import Kernel

/// Parsing of the vhost sections that run child processes or republish streams: `forward`,
/// `ingest`, `transcode`, `exec` (defaults and checks of `srs_app_config.cpp`). What SRS
/// refuses only when a stream is published (an engine without a profile, an ingest without an
/// output) is refused here, when the config is loaded.
extension VhostConfig {
    mutating func readProcesses(_ r: ConfigReader) throws(ConfigError) {
        let f = r.child("forward")
        forward.enabled = try f.bool("enabled", false)
        forward.destinations = try f.hostPorts("destination", defaultPort: 1935)
        if let backend = try f.optionalString("backend"), !backend.isEmpty {
            guard backend.hasPrefix("http://") else {
                throw ConfigError(f.raw("backend")?.location ?? "", "forward backend \"\(backend)\" must be an http:// URL")
            }
            forward.backend = backend
        }

        var names: [String: ConfigDirective] = [:]
        for d in r.block?.all("ingest") ?? [] {
            let ingest = try Self.ingest(d, warnings: r.warnings, environment: r.environment)
            if let first = names[ingest.name] {
                throw ConfigError(d, "vhost \(name): duplicate ingest \"\(ingest.name)\" (first at \(first.location))")
            }
            names[ingest.name] = d
            ingests.append(ingest)
        }

        for d in r.block?.all("transcode") ?? [] {
            transcodes.append(try Self.transcode(d, warnings: r.warnings, environment: r.environment))
        }

        let x = r.child("exec")
        exec.enabled = try x.bool("enabled", false)
        for d in x.block?.all("publish") ?? [] {
            guard let program = d.arg0, !program.isEmpty else { throw ConfigError(d, "exec publish needs a program") }
            exec.publishes.append(d.args)
        }
    }

    private static func reader(_ d: ConfigDirective, _ warnings: ConfigWarnings, _ environment: [String: String]) -> ConfigReader {
        ConfigReader(block: d, envPath: nil, environment: environment, warnings: warnings)
    }

    private static func ingest(_ d: ConfigDirective, warnings: ConfigWarnings, environment: [String: String]) throws(ConfigError) -> IngestConfig {
        guard let name = d.arg0, d.args.count == 1, !name.isEmpty else { throw ConfigError(d, "ingest needs exactly one name") }
        let r = reader(d, warnings, environment)
        var i = IngestConfig(name: name)
        i.enabled = try r.bool("enabled", false)
        let input = r.child("input")
        i.inputType = try input.choice("type", .file, ["file": .file, "stream": .stream])
        i.inputURL = try input.string("url", "")
        i.ffmpeg = try r.string("ffmpeg", "")
        for e in d.all("engine") { i.engines.append(try engine(e, warnings: warnings, environment: environment)) }
        guard i.enabled else { return i }
        let here = "ingest \(name)"
        if i.ffmpeg.isEmpty { throw ConfigError(d, "\(here): ffmpeg is required") }
        if i.inputURL.isEmpty { throw ConfigError(d, "\(here): input url is required") }
        // SRS starts one ffmpeg per engine and needs each one's output.
        if i.engines.isEmpty { throw ConfigError(d, "\(here): an engine with an output is required") }
        for (e, ed) in zip(i.engines, d.all("engine")) {
            if e.output.isEmpty { throw ConfigError(ed, "\(here): engine output is required") }
            if e.transcodes, let why = e.refusal { throw ConfigError(ed, "\(here): \(why)") }
        }
        return i
    }

    private static func transcode(_ d: ConfigDirective, warnings: ConfigWarnings, environment: [String: String]) throws(ConfigError) -> TranscodeConfig {
        let r = reader(d, warnings, environment)
        var t = TranscodeConfig(scope: d.arg0 ?? "")
        t.enabled = try r.bool("enabled", false)
        t.ffmpeg = try r.string("ffmpeg", "")
        for ed in d.all("engine") {
            let e = try engine(ed, warnings: warnings, environment: environment)
            if t.enabled, e.enabled, let why = e.refusal { throw ConfigError(ed, "transcode engine \(e.name): \(why)") }
            t.engines.append(e)
        }
        return t
    }

    private static func engine(_ d: ConfigDirective, warnings: ConfigWarnings, environment: [String: String]) throws(ConfigError) -> FFmpegEngine {
        let r = reader(d, warnings, environment)
        var e = FFmpegEngine(name: d.arg0 ?? "")
        e.enabled = try r.bool("enabled", false)
        e.perfile = options(d.child("perfile"))
        e.iformat = try r.string("iformat", e.iformat)
        e.vfilter = options(d.child("vfilter"))
        e.vcodec = try r.string("vcodec", "")
        e.vbitrate = try r.int("vbitrate", 0, in: -1_000_000...1_000_000)
        e.vfps = try r.double("vfps", 0, in: -1000...1000)
        e.vwidth = try r.int("vwidth", 0, in: -100_000...100_000)
        e.vheight = try r.int("vheight", 0, in: -100_000...100_000)
        e.vthreads = try r.int("vthreads", 1, in: -1024...1024)
        e.vprofile = try r.string("vprofile", "")
        e.vpreset = try r.string("vpreset", "")
        e.vparams = options(d.child("vparams"))
        e.acodec = try r.string("acodec", "")
        e.abitrate = try r.int("abitrate", 0, in: -1_000_000...1_000_000)
        e.asampleRate = try r.int("asample_rate", 0, in: -1_000_000...1_000_000)
        e.achannels = try r.int("achannels", 0, in: -64...64)
        e.aparams = options(d.child("aparams"))
        e.oformat = try r.string("oformat", e.oformat)
        e.output = try r.string("output", "")
        return e
    }

    /// An option block (`vparams { t 100; coder 1; }`) as arguments: `-t 100 -coder 1`.
    private static func options(_ block: ConfigDirective?) -> [String] {
        var out: [String] = []
        for o in block?.children ?? [] {
            out.append(o.name.hasPrefix("-") ? o.name : "-" + o.name)
            if let v = o.arg0, !v.isEmpty { out.append(v) }
        }
        return out
    }
}

extension FFmpegEngine {
    /// In an ingest: an enabled engine with both codecs set transcodes; any other copies.
    var transcodes: Bool { enabled && !vcodec.isEmpty && !acodec.isEmpty }
}
