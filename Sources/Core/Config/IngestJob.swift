import Kernel
import Protocol

/// One ffmpeg of an ingest, as the master runs it: SRS's command line for it
/// (`SrsIngester::initialize_ffmpeg`) and what it was built from, so a reload restarts exactly
/// the jobs whose ingest changed (SRS's `reload ingest=... updated`).
public struct IngestJob: Equatable, Sendable {
    /// `vhost/ingest/engine-index`: stable across reloads and re-execs.
    public var id: String
    public var vhost: String
    public var ingest: String
    /// The stream it publishes (from its output URL; empty when that is not RTMP).
    public var app: String
    public var stream: String
    public var command: ChildCommand
    /// What the command was built from.
    public var source: Source

    /// The inputs of the command but the time: equal sources make the same job.
    public struct Source: Equatable, Sendable {
        public var ingest: IngestConfig
        public var engineIndex: Int
        public var port: Int
        public var ffLogDir: String
        public var ffLogLevel: String
    }

    /// `ingest cam` of `__defaultVhost__`, for log lines.
    public var label: String { "ingest \(vhost)/\(ingest)" + (source.ingest.engines.count > 1 ? "#\(source.engineIndex)" : "") }
}

extension ServerConfig {
    /// Every ffmpeg the enabled ingests of the enabled vhosts run, built at `time` (for the
    /// output's time variables, as SRS builds them once at parse time).
    public func ingestJobs(time: CalendarTime) -> [IngestJob] {
        let port = listen.first?.port ?? 1935
        var jobs: [IngestJob] = []
        for v in vhosts where v.enabled {
            for i in v.ingests where i.enabled {
                for (n, e) in i.engines.enumerated() {
                    let source = IngestJob.Source(ingest: i, engineIndex: n, port: port, ffLogDir: ffLogDir, ffLogLevel: ffLogLevel)
                    jobs.append(IngestJob.make(vhost: v.name, source: source, engine: e, time: time))
                }
            }
        }
        return jobs
    }
}

extension IngestJob {
    static func make(vhost: String, source: Source, engine e: FFmpegEngine, time: CalendarTime) -> IngestJob {
        let i = source.ingest
        var output = ProcessTemplate.render(e.output, [("[vhost]", vhost), ("[port]", String(source.port))], time: time)
        // SRS drops the default vhost from the URL (the server takes it anyway).
        output = output.replacing("vhost=" + VhostConfig.defaultName, with: "")
            .replacing("?&", with: "?").replacing("?/", with: "/")
        while output.hasSuffix("?") { output.removeLast() }
        let target = RTMPRequest(url: output)
        let app = target?.app ?? ""
        let stream = target?.stream ?? ""
        let logName = target == nil ? "ffmpeg-ingest-\(vhost)-\(i.name).log" : "ffmpeg-ingest-\(vhost)-\(app)-\(stream).log"
        var iparams: [String] = []
        if !source.ffLogLevel.isEmpty { iparams += ["-loglevel", source.ffLogLevel] }
        // SRS reads files and streams alike in real time (`-re`, which also suits HLS inputs).
        iparams.append("-re")
        let args = e.transcodes
            ? FFmpegArguments(transcode: e, input: i.inputURL, output: output, iparams: iparams)
            : FFmpegArguments(copyFrom: i.inputURL, output: output, oformat: "flv", iparams: iparams)
        let log = ChildLogPath.path(dir: source.ffLogDir, name: logName)
        let command = ChildCommand(program: i.ffmpeg, arguments: [i.ffmpeg] + args.arguments, stdoutPath: log, stderrPath: log)
        return IngestJob(id: "\(vhost)/\(i.name)/\(source.engineIndex)", vhost: vhost, ingest: i.name, app: app, stream: stream,
                         command: command, source: source)
    }
}

extension IngestJob {
    /// What a reload (or the start) does to the running `jobs` to run `wanted`: the jobs to stop
    /// (gone, or built from a changed ingest, port or ff_log settings) and the ones to start
    /// (new, or changed). A job whose source did not change keeps running, whatever the time
    /// variables of a new build would say.
    public static func changes(from jobs: [IngestJob], to wanted: [IngestJob]) -> (stop: [String], start: [IngestJob]) {
        let running = Dictionary(jobs.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let want = Dictionary(wanted.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let stop = jobs.filter { j in want[j.id]?.source != j.source }.map(\.id)
        let start = wanted.filter { j in running[j.id]?.source != j.source }
        return (stop, start)
    }
}
