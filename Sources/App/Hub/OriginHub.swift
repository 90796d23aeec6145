import Core
import Glibc
import Kernel
import Protocol
import System

/// What a stream published here by a client starts, and stops when it is unpublished (SRS's
/// `SrsOriginHub`): its forwarders, its transcode ffmpegs and its exec'd programs. It runs on
/// the worker that holds the publisher, so with N workers each stream is forwarded and
/// transcoded once. The children are this worker's (`children`): reaped on its SIGCHLD, killed
/// by the kernel if it dies.
final class OriginHub {
    /// The publish a stream's duties were started for.
    struct Publisher {
        var stream: StreamProcessPlan.Stream
        var cid: String
        var ip: String
    }

    private final class Duties {
        let source: LiveSource
        let publisher: Publisher
        var forwarders: [StreamForwarder] = []
        /// Child ids by kind, in start order.
        var transcodes: [(id: String, engine: String, output: String)] = []
        var execs: [String] = []
        /// Bumped when forwarders are (re)made, so a late backend answer for an older set is dropped.
        var forwardGeneration = 0

        init(source: LiveSource, publisher: Publisher) {
            self.source = source
            self.publisher = publisher
        }
    }

    let children: ProcessSupervisor
    /// DVR: the recordings of the streams published here.
    let dvr: DVRService
    private(set) var config: ServerConfig
    private let loop: EventLoop
    private let identity: ServerIdentity
    /// Every stream published on the server (this worker's and its siblings'), for the
    /// transcode loop guard.
    private let publishedKeys: () -> [StreamKey]
    private let resolver: () -> DNSResolver?
    /// Calls to forward backends.
    private let httpClient: () -> HTTPClientPool
    private var duties: [StreamKey: Duties] = [:]

    init(loop: EventLoop, config: ServerConfig, identity: ServerIdentity, environment: [String: String],
         publishedKeys: @escaping () -> [StreamKey], resolver: @escaping () -> DNSResolver?,
         httpClient: @escaping () -> HTTPClientPool) {
        self.loop = loop
        self.config = config
        self.identity = identity
        self.publishedKeys = publishedKeys
        self.resolver = resolver
        self.httpClient = httpClient
        children = ProcessSupervisor(loop: loop, environment: environment, clientCaused: true)
        dvr = DVRService(loop: loop)
    }

    /// Our RTMP ports.
    var ports: Set<Int> { Set(config.listen.map(\.port)) }

    /// A client started publishing `source`.
    func published(_ source: LiveSource, publisher: Publisher) {
        unpublished(source)
        dvr.published(source, cid: publisher.cid, vhost: config.vhost(source.vhost), utcTime: config.utcTime)
        guard let vhost = config.vhost(source.vhost) else { return }
        let d = Duties(source: source, publisher: publisher)
        duties[source.key] = d
        startForward(d, vhost)
        startTranscodes(d, vhost)
        startExecs(d, vhost)
    }

    /// The publisher of `source` left: forwarders say goodbye, children get SIGTERM.
    func unpublished(_ source: LiveSource) {
        dvr.stop(source)
        guard let d = duties.removeValue(forKey: source.key) else { return }
        stopForward(d)
        for t in d.transcodes { children.stop(t.id, reason: "unpublish") }
        for id in d.execs { children.stop(id, reason: "unpublish") }
    }

    /// A reload: what changed for a published stream's vhost restarts (SRS's
    /// `on_reload_vhost_forward`, `_transcode`, `_exec`).
    func reload(to new: ServerConfig) {
        let old = config
        config = new
        dvr.reload(duties.values.map { ($0.source, $0.publisher.cid) }, from: old, to: new)
        for d in duties.values {
            let before = old.vhost(d.source.vhost)
            guard let after = new.vhost(d.source.vhost) else { continue }
            if before?.forward != after.forward {
                stopForward(d)
                startForward(d, after)
            }
            if before?.transcodes != after.transcodes || old.ffLogDir != new.ffLogDir {
                for t in d.transcodes { children.stop(t.id, reason: "reload") }
                d.transcodes = []
                startTranscodes(d, after)
            }
            if before?.exec != after.exec || old.ffLogDir != new.ffLogDir {
                for id in d.execs { children.stop(id, reason: "reload") }
                d.execs = []
                startExecs(d, after)
            }
        }
    }

    /// A child of this worker ended.
    func reaped(_ exit: Spawn.Exit) {
        if !children.reaped(exit) { Log.warn("worker: unknown child \(exit.pid) reaped (\(exit))") }
    }

    // MARK: - Forward

    private func startForward(_ d: Duties, _ vhost: VhostConfig) {
        guard vhost.forward.enabled else { return }
        d.forwardGeneration += 1
        let s = d.publisher.stream
        if let backend = vhost.forward.backend {
            let generation = d.forwardGeneration
            let publish = ForwardBackend.Publish(serverID: identity.serverID, serviceID: identity.serviceID, clientID: d.publisher.cid,
                                                 ip: d.publisher.ip, vhost: s.vhost, app: s.app, tcUrl: s.tcUrl, stream: s.stream,
                                                 param: s.param)
            ForwardBackend.ask(backend, publish, client: httpClient()) { [weak self, weak d] result in
                guard let self, let d, self.duties[d.source.key] === d, d.forwardGeneration == generation else { return }
                switch result {
                case .success(let urls):
                    Log.traceClient("forward", "http: on_forward_backend ok, url=\(backend), urls=\(urls)", cid: d.publisher.cid)
                    for u in urls {
                        guard let r = RTMPRequest(url: u) else {
                            Log.warnRepeated("forward", "forward backend \(backend): not an RTMP URL: \(u)", cid: d.publisher.cid)
                            continue
                        }
                        let request = UpstreamRequest(vhost: r.vhost == r.host ? VhostConfig.defaultName : r.vhost, app: r.app,
                                                      stream: r.stream, param: r.param)
                        self.addForwarder(d, to: HostPort(host: r.host, port: r.port), request: request)
                    }
                case .failure(let e):
                    Log.warnRepeated("forward", "forward backend failed, the stream is not forwarded: \(e)", cid: d.publisher.cid)
                }
            }
            return
        }
        let request = UpstreamRequest(vhost: s.vhost, app: s.app, stream: s.stream, param: s.param)
        for dest in vhost.forward.destinations { addForwarder(d, to: dest, request: request) }
    }

    private func addForwarder(_ d: Duties, to dest: HostPort, request: UpstreamRequest) {
        // SRS 2's loop check: this very stream sent to this very server would be refused as busy, forever.
        let loopback = ["127.0.0.1", "localhost", "::1", "0.0.0.0"].contains(dest.host)
        if loopback && ports.contains(dest.port) && request.app == d.source.app && request.stream == d.source.stream {
            Log.warnRepeated("forward", "forward loop detected, ignore destination \(dest) for \(d.source.key)", cid: d.publisher.cid)
            return
        }
        let f = StreamForwarder(source: d.source, destination: .tcp(host: dest.host, port: dest.port), request: request, loop: loop,
                                resolver: resolver(), chunkSize: config.chunkSize, cid: d.publisher.cid)
        d.forwarders.append(f)
        f.start()
    }

    private func stopForward(_ d: Duties) {
        d.forwardGeneration += 1
        for f in d.forwarders { f.stop() }
        d.forwarders = []
    }

    // MARK: - Transcode and exec

    private func startTranscodes(_ d: Duties, _ vhost: VhostConfig) {
        let s = d.publisher.stream
        let jobs = StreamProcessPlan.transcodes(s, vhost: vhost, ffLogDir: config.ffLogDir, time: Clock.calendarTime())
        guard !jobs.isEmpty else { return }
        // SRS's loop guard: what a transcode outputs is not transcoded again.
        if StreamProcessPlan.isTranscodeOutput(s, published: publishedKeys(), config: config, ports: ports) {
            Log.traceClient("transcode", "transcode: \(s.key) is a transcode's output, not transcoded again (loop)", cid: d.publisher.cid)
            return
        }
        for j in jobs {
            guard case .transcode(let engine, let output) = j.kind else { continue }
            d.transcodes.append((j.id, engine, output))
            children.start(id: j.id, label: "transcode \(s.key) engine=\(engine)", command: j.command)
        }
    }

    private func startExecs(_ d: Duties, _ vhost: VhostConfig) {
        let s = d.publisher.stream
        for (n, j) in StreamProcessPlan.execs(s, vhost: vhost, ffLogDir: config.ffLogDir, time: Clock.calendarTime()).enumerated() {
            d.execs.append(j.id)
            children.start(id: j.id, label: "exec \(s.key) #\(n)", command: j.command)
        }
    }

    // MARK: - API

    /// The `forward`, `transcode` and `exec` members of a stream published here.
    func streamMembers(_ key: StreamKey) -> [JSONMember] {
        guard let d = duties[key] else { return [] }
        return [
            JSONMember("forward", .array(d.forwarders.map(\.json))),
            JSONMember("transcode", .array(d.transcodes.compactMap { t in
                children.info(t.id)?.json([JSONMember("engine", .string(t.engine)), JSONMember("output", .string(t.output))])
            })),
            JSONMember("exec", .array(d.execs.compactMap { children.info($0)?.json() })),
        ]
    }

    /// This worker's part of `/api/v1/processes`.
    var processesJSON: JSONValue {
        var kinds: [String: (kind: String, d: Duties)] = [:]
        for d in duties.values {
            for t in d.transcodes { kinds[t.id] = ("transcode", d) }
            for id in d.execs { kinds[id] = ("exec", d) }
        }
        return .array(children.infos.map { info in
            let k = kinds[info.id]
            let s = k?.d.publisher.stream
            return info.json([JSONMember("kind", .string(k?.kind ?? "stopping")), JSONMember("owner", "worker"),
                              JSONMember("worker", .int(Int64(getpid()))), JSONMember("vhost", .string(s?.vhost ?? "")),
                              JSONMember("app", .string(s?.app ?? "")), JSONMember("stream", .string(s?.stream ?? ""))])
        })
    }
}
