import Core
import Kernel
import Protocol

/// The child processes of one published stream, pure: SRS's transcode command lines
/// (`SrsEncoder::initialize_ffmpeg`) and exec command lines (`SrsNgExec::parse_exec_publish`),
/// and the loop guard that keeps transcoded outputs from being transcoded again.
public enum StreamProcessPlan {
    /// What the templates may name of a published stream.
    public struct Stream: Equatable, Sendable {
        public var vhost: String
        public var app: String
        public var stream: String
        /// The client's query, with its `?` (`[param]`).
        public var param: String
        /// The RTMP port ffmpeg reads the stream back from (`[port]`).
        public var port: Int
        /// The host of the client's tcUrl (`[url]`), its tcUrl, swfUrl and pageUrl.
        public var host: String
        public var tcUrl: String
        public var swfUrl: String
        public var pageUrl: String

        public init(vhost: String, app: String, stream: String, param: String = "", port: Int, host: String = "127.0.0.1",
                    tcUrl: String = "", swfUrl: String = "", pageUrl: String = "") {
            self.vhost = vhost
            self.app = app
            self.stream = stream
            self.param = param
            self.port = port
            self.host = host
            self.tcUrl = tcUrl
            self.swfUrl = swfUrl
            self.pageUrl = pageUrl
        }

        /// `vhost/app/stream`.
        public var key: StreamKey { StreamKey(vhost: vhost, app: app, stream: stream) }
    }

    /// One child of a stream.
    public struct Job: Equatable, Sendable {
        public enum Kind: Equatable, Sendable {
            case transcode(engine: String, output: String)
            case exec
        }
        /// `vhost/app/stream/transcode/<engine>#<n>` or `.../exec/<n>`: unique per stream.
        public var id: String
        public var kind: Kind
        public var command: ChildCommand
    }

    /// Where ffmpeg reads a stream from this server (SRS: `rtmp://127.0.0.1:port/app?vhost=v/stream`;
    /// the client's params are not in it).
    public static func input(_ s: Stream) -> String {
        "rtmp://127.0.0.1:\(s.port)/\(s.app)?vhost=\(s.vhost)/\(s.stream)"
    }

    /// The transcode ffmpegs of `s`: every enabled engine of every enabled `transcode` block
    /// with an ffmpeg whose scope matches.
    public static func transcodes(_ s: Stream, vhost: VhostConfig, ffLogDir: String, time: CalendarTime) -> [Job] {
        var jobs: [Job] = []
        for (n, t) in vhost.transcodes.enumerated() where t.enabled && !t.ffmpeg.isEmpty && t.applies(app: s.app, stream: s.stream) {
            for e in t.engines where e.enabled {
                let output = self.output(e.output, s, engine: e.name, time: time)
                let args = FFmpegArguments(transcode: e, input: input(s), output: output)
                var name = "ffmpeg-encoder-\(s.vhost)-\(s.app)-\(s.stream)"
                if !e.name.isEmpty { name += "-" + e.name }
                let log = ChildLogPath.path(dir: ffLogDir, name: name + ".log")
                let command = ChildCommand(program: t.ffmpeg, arguments: [t.ffmpeg] + args.arguments, stdoutPath: log, stderrPath: log)
                jobs.append(Job(id: "\(s.key)/transcode/\(e.name)#\(n)", kind: .transcode(engine: e.name, output: output),
                                command: command))
            }
        }
        return jobs
    }

    /// An engine's output for `s` (`[vhost] [port] [app] [stream] [param] [engine]` and the time).
    static func output(_ template: String, _ s: Stream, engine: String, time: CalendarTime?) -> String {
        ProcessTemplate.render(template, [("[vhost]", s.vhost), ("[port]", String(s.port)), ("[app]", s.app),
                                          ("[stream]", s.stream), ("[param]", s.param), ("[engine]", engine)], time: time)
    }

    /// The exec'd programs of `s` (`[vhost] [port] [app] [stream] [tcUrl] [swfUrl] [pageUrl]
    /// [url]` and the time). Their output goes to `exec-<vhost>-<app>-<stream>.log` in
    /// `ff_log_dir` unless the directive redirects it.
    public static func execs(_ s: Stream, vhost: VhostConfig, ffLogDir: String, time: CalendarTime) -> [Job] {
        guard vhost.exec.enabled else { return [] }
        let values = [("[vhost]", s.vhost), ("[port]", String(s.port)), ("[app]", s.app), ("[stream]", s.stream),
                      ("[tcUrl]", s.tcUrl), ("[swfUrl]", s.swfUrl), ("[pageUrl]", s.pageUrl), ("[url]", url(s))]
        let log = ChildLogPath.path(dir: ffLogDir, name: "exec-\(s.vhost)-\(s.app)-\(s.stream).log")
        return vhost.exec.publishes.enumerated().compactMap { n, args in
            ExecArguments.command(args, defaultLog: log) { ProcessTemplate.render($0, values, time: time) }
                .map { Job(id: "\(s.key)/exec/\(n)", kind: .exec, command: $0) }
        }
    }

    /// The stream's RTMP URL as SRS builds `[url]` (`srs_generate_rtmp_url`): the client's host
    /// and port, its params, and `vhost=` when the vhost is not the default one or the host is
    /// not an IPv4 address.
    static func url(_ s: Stream) -> String {
        var query = s.param
        if !query.contains("vhost=") {
            let guess = s.vhost != VhostConfig.defaultName ? s.vhost : (isIPv4(s.host) ? "" : s.host)
            if !guess.isEmpty { query += "&vhost=" + guess }
        }
        while query.hasPrefix("&") || query.hasPrefix("?") { query.removeFirst() }
        return "rtmp://\(s.host):\(s.port)/\(s.app)/\(s.stream)" + (query.isEmpty ? "" : "?" + query)
    }

    static func isIPv4(_ h: String) -> Bool {
        let parts = h.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { !$0.isEmpty && $0.count <= 3 && $0.allSatisfy(\.isNumber) && (Int($0) ?? 256) <= 255 }
    }

    // MARK: - Loop guard

    /// True when `candidate` is the output of a transcode of another stream published on this
    /// server (`published`: every published `vhost/app/stream`, all workers'): then it is not
    /// transcoded again (SRS: `detect a loop cycle`). SRS compares URL strings in one process's
    /// list of running outputs; with several workers the transcode may run on another worker,
    /// so the outputs are computed from the config instead: an output names the candidate when
    /// it is an RTMP URL to this server (a loopback host and one of `ports`) whose vhost, app
    /// and stream are the candidate's.
    public static func isTranscodeOutput(_ candidate: Stream, published: [StreamKey], config: ServerConfig, ports: Set<Int>) -> Bool {
        for key in published where key != candidate.key {
            // As the rendering of the key: the last component is the stream, whatever its source.
            let parts = key.description.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count >= 3, let v = config.vhost(parts[0]) else { continue }
            let source = Stream(vhost: parts[0], app: parts[1..<(parts.count - 1)].joined(separator: "/"),
                                stream: parts[parts.count - 1], port: candidate.port)
            for t in v.transcodes where t.enabled && !t.ffmpeg.isEmpty && t.applies(app: source.app, stream: source.stream) {
                for e in t.engines where e.enabled {
                    guard let r = RTMPRequest(url: output(e.output, source, engine: e.name, time: nil)),
                          ["127.0.0.1", "localhost", "::1", "0.0.0.0"].contains(r.host), ports.contains(r.port) else { continue }
                    let vhost = config.vhost(r.vhost)?.name ?? r.vhost
                    if vhost == candidate.vhost && r.app == candidate.app && r.stream == candidate.stream { return true }
                }
            }
        }
        return false
    }
}
