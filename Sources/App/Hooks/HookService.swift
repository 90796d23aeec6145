import Core
import Protocol
import System

/// `http_hooks` of one worker: the HTTP calls SRS makes about its clients, made from the loop
/// without ever blocking it (the calls go through an `HTTPClientPool`: off-loop name lookups,
/// keep-alive connections, one deadline per call).
///
/// Each event is a job: the event's URLs, called one after the other. A decision (`connect`,
/// `publish`, `play`) stops at the first refusal and tells its owner; an informational event
/// (close, unpublish, stop, hls, dvr) is logged and never waited for. The jobs of one client
/// run in order, one at a time (as SRS, whose coroutine makes them one by one): on_connect,
/// on_publish, the stream's on_hls, on_unpublish, on_close reach a hook server in that order,
/// while different clients' jobs run side by side.
///
/// Bounds: at most `maxPendingJobs` jobs wait or run in the worker and `maxJobsPerClient` per
/// client; the pool runs at most `Self.poolLimits.maxActive` calls and queues
/// `maxQueued` more. When a bound is reached an informational event is dropped (counted, and
/// logged at most 5 times per 5 s) and a decision refuses its client at once ("fail closed":
/// a hook server that far behind would not answer in time anyway).
final class HookService {
    static let maxPendingJobs = 4096
    static let maxJobsPerClient = 64
    static let poolLimits = HTTPClientPool.Limits(maxActive: 64, maxQueued: 1024)
    /// SRS's fixed deadline of an on_hls_notify call (the hook timeout when smaller).
    static let notifyTimeoutMs = 10_000

    let pool: HTTPClientPool
    let loop: EventLoop
    let identity: HookServerIdentity
    /// SRS's `cwd` in on_hls and on_dvr: the working directory the server started in.
    let cwd: String
    private var chains: [String: [Job]] = [:]
    private(set) var pendingJobs = 0
    /// Accepted publishes and plays by client id, for the events that end them (see
    /// `HookService+Sessions.swift`).
    var streams: [String: HookStream] = [:]
    /// The config now (hooks and their URLs are read at each event: reloads apply at once).
    let config: () -> ServerConfig
    /// HLS players' sessions (`hls_ctx`).
    let hlsSessions = HLSPlaySessions()

    /// Decisions refused, informational calls that failed, events dropped at a bound (logged).
    private(set) var refusedTotal: UInt64 = 0
    private(set) var failedTotal: UInt64 = 0
    private(set) var droppedTotal: UInt64 = 0

    init(loop: EventLoop, hosts: HostAddressCache, serverID: String, serviceID: String, config: @escaping () -> ServerConfig) {
        self.loop = loop
        self.identity = HookServerIdentity(serverID: serverID, serviceID: serviceID)
        self.config = config
        pool = HTTPClientPool(loop: loop, hosts: hosts, limits: Self.poolLimits)
        cwd = FileSystem.currentDirectory() ?? "."
    }

    /// One HTTP call of a job.
    struct Step {
        /// SRS's action name (`on_publish`, `on_hls_notify`), for the log.
        var action: String
        var url: String
        /// POST with this body, or GET (on_hls_notify) reading at most `readBytes`.
        var body: [UInt8]?
        var readBytes = 0
        var timeoutMs: Int
    }

    /// A pending decision; `cancel` when its client leaves (no answer comes then).
    final class Decision {
        fileprivate weak var job: Job?
        fileprivate weak var service: HookService?
        func cancel() {
            guard let job, let service else { return }
            service.cancel(job)
        }
    }

    fileprivate final class Job {
        let clientID: String
        var steps: [Step]
        let decides: Bool
        var done: ((String?) -> Void)?
        var call: HTTPClientPool.Call?
        var started = false
        init(clientID: String, steps: [Step], decides: Bool, done: ((String?) -> Void)?) {
            self.clientID = clientID
            self.steps = steps
            self.decides = decides
            self.done = done
        }
    }

    // MARK: - Jobs

    /// Calls each event's URLs in order for a decision about `client`: `done(nil)` when every
    /// one accepted, `done(reason)` at the first refusal, failure or deadline, always on the loop
    /// after this call returned (logged here with
    /// the URL, request and answer; `reason` is for the client: the event and the hook server's
    /// answer, never the hook's URL). Nil means no URL was configured: nothing to wait for.
    func decide(_ events: [(HookEvent, [String])], client: HookClient, timeoutMs: Int,
                _ done: @escaping (String?) -> Void) -> Decision? {
        let steps = events.flatMap { event, urls in
            urls.map { Step(action: event.action, url: $0, body: event.body(client: client, server: identity), timeoutMs: timeoutMs) }
        }
        guard !steps.isEmpty else { return nil }
        let decision = Decision()
        decision.service = self
        // Never inside this call (a step may fail at once): the caller records the decision first.
        let answer: (String?) -> Void = { [loop] reason in loop.runSoon { done(reason) } }
        guard let job = enqueue(Job(clientID: client.clientID, steps: steps, decides: true, done: answer)) else {
            refusedTotal += 1
            Log.warnRepeated("hook refused", "http hooks: refuse client \(client.clientID): \(pendingJobs) jobs pending in this worker (bound \(Self.maxPendingJobs), \(Self.maxJobsPerClient) per client)", cid: client.clientID)
            answer("http hooks busy")
            return decision
        }
        decision.job = job
        return decision
    }

    /// Sends an informational event about `client` to `urls`, in order, after the client's
    /// earlier jobs; never waited for.
    func inform(_ event: HookEvent, urls: [String], client: HookClient, timeoutMs: Int) {
        guard !urls.isEmpty else { return }
        let body = event.body(client: client, server: identity)
        let steps = urls.map { Step(action: event.action, url: $0, body: body, timeoutMs: timeoutMs) }
        if enqueue(Job(clientID: client.clientID, steps: steps, decides: false, done: nil)) == nil {
            dropped("\(event.action) for client \(client.clientID)", cid: client.clientID)
        }
    }

    /// on_hls_notify: a GET of each template (SRS's variables replaced) after the client's
    /// earlier jobs, reading at most `readBytes` of each answer, which is ignored.
    func notifyHLS(templates: [String], client: HookClient, tsURL: String, readBytes: Int, timeoutMs: Int) {
        guard !templates.isEmpty else { return }
        let steps = templates.map { t in
            Step(action: "on_hls_notify", url: HookURL.notifyURL(template: t, server: identity, client: client, tsURL: tsURL), body: nil,
                 readBytes: readBytes, timeoutMs: min(timeoutMs, Self.notifyTimeoutMs))
        }
        if enqueue(Job(clientID: client.clientID, steps: steps, decides: false, done: nil)) == nil {
            dropped("on_hls_notify for client \(client.clientID)", cid: client.clientID)
        }
    }

    private func enqueue(_ job: Job) -> Job? {
        var chain = chains[job.clientID] ?? []
        guard pendingJobs < Self.maxPendingJobs, chain.count < Self.maxJobsPerClient else { return nil }
        pendingJobs += 1
        chain.append(job)
        chains[job.clientID] = chain
        if chain.count == 1 { next(job) }
        return job
    }

    private func dropped(_ what: String, cid: String) {
        droppedTotal += 1
        Log.warnRepeated("hook dropped", "http hooks: drop \(what): \(pendingJobs) jobs pending in this worker (bound \(Self.maxPendingJobs), \(Self.maxJobsPerClient) per client), dropped=\(droppedTotal)", cid: cid)
    }

    private func cancel(_ job: Job) {
        job.done = nil
        job.call?.cancel()
        job.call = nil
        complete(job)
    }

    /// Runs the job's next step, or completes it.
    private func next(_ job: Job) {
        job.started = true
        guard !job.steps.isEmpty else {
            let done = job.done
            complete(job)
            done?(nil)
            return
        }
        let step = job.steps.removeFirst()
        let url: HookURL
        do {
            url = try HookURL(parsing: step.url)
        } catch {
            finishStep(job, step, refusal: "\(error)", response: "", status: 0, spentMs: 0)
            return
        }
        guard url.scheme == "http" else {
            finishStep(job, step, refusal: "https is not supported (no TLS)", response: "", status: 0, spentMs: 0)
            return
        }
        // SRS's headers, in its order (a std::map's).
        let headers = [HTTPHeader("Connection", "Keep-Alive"), HTTPHeader("Content-Length", "\(step.body?.count ?? 0)"),
                       HTTPHeader("Content-Type", "application/json"), HTTPHeader("Host", url.hostHeader),
                       HTTPHeader("User-Agent", Version.server)]
        var request = HTTPClientRequest(method: step.body == nil ? "GET" : "POST", host: url.host, port: url.port, target: url.target,
                                        headers: headers, body: step.body ?? [], timeoutMs: Int64(step.timeoutMs))
        if step.body == nil {
            request.maxBodyBytes = step.readBytes
            request.truncatesBody = true
        }
        let started = loop.now
        guard let call = pool.start(request, { [weak self, weak job] result in
            guard let self, let job else { return }
            job.call = nil
            let spent = self.loop.now - started
            switch result {
            case .success(let (head, body)):
                let text = String(decoding: body.prefix(1024), as: UTF8.self)
                let refusal = step.body == nil ? nil : HookAnswer.refusal(status: head.status, body: body)
                self.finishStep(job, step, refusal: refusal, response: text, status: head.status, spentMs: spent, read: body.count)
            case .failure(let e):
                self.finishStep(job, step, refusal: e.reason, response: "", status: 0, spentMs: spent)
            }
        }) else {
            if job.decides {
                finishStep(job, step, refusal: "hook calls queue full (\(Self.poolLimits.maxActive) running, \(Self.poolLimits.maxQueued) waiting)",
                           response: "", status: 0, spentMs: 0)
            } else {
                dropped("\(step.action) to \(step.url): calls queue full", cid: job.clientID)
                next(job)
            }
            return
        }
        job.call = call
    }

    /// Logs a step's outcome as SRS does and goes on (or ends a refused decision).
    private func finishStep(_ job: Job, _ step: Step, refusal: String?, response: String, status: Int, spentMs: Int64, read: Int = 0) {
        let cid = job.clientID
        let action = step.action
        if step.body == nil {
            // SRS: "http hook on_hls_notify success ..." whatever the answer; errors are ignored.
            Log.traceClient("hook hls notify", "http hook on_hls_notify success. client_id=\(cid), url=\(step.url), code=\(status), spent=\(spentMs)ms, read=\(read)B, err=\(refusal ?? "Success")", cid: cid)
            if refusal != nil { failedTotal += 1 }
            next(job)
            return
        }
        let request = String(decoding: step.body ?? [], as: UTF8.self)
        guard let refusal else {
            Log.traceClient("hook ok", "http: \(action) ok, client_id=\(cid), url=\(step.url), request=\(request), response=\(response), spent=\(spentMs)ms", cid: cid)
            next(job)
            return
        }
        if job.decides {
            refusedTotal += 1
            Log.warnRepeated("hook refused", "http: \(action) failed, client_id=\(cid), url=\(step.url), request=\(request), response=\(response), code=\(status), spent=\(spentMs)ms: \(refusal)", cid: cid)
            let done = job.done
            complete(job)
            done?(status == 0 ? "\(action) failed" : "\(action) refused: \(Self.clientText(response))")
            return
        }
        failedTotal += 1
        Log.warnRepeated("hook failed", "http: ignore \(action) failed, client_id=\(cid), url=\(step.url), request=\(request), response=\(response), code=\(status), spent=\(spentMs)ms: \(refusal)", cid: cid)
        next(job)
    }

    /// A hook server's answer as a refused client may see it: at most 200 bytes, one line.
    static func clientText(_ answer: String) -> String {
        let line = answer.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : String($0) }.joined()
        return line.utf8.count <= 200 ? line : String(decoding: line.utf8.prefix(200), as: UTF8.self)
    }

    /// Removes a finished (or cancelled) job from its client's chain and starts the next one.
    private func complete(_ job: Job) {
        job.done = nil
        guard var chain = chains[job.clientID], let i = chain.firstIndex(where: { $0 === job }) else { return }
        chain.remove(at: i)
        pendingJobs -= 1
        if chain.isEmpty {
            chains[job.clientID] = nil
            return
        }
        chains[job.clientID] = chain
        if i == 0, let first = chain.first, !first.started { next(first) }
    }
}
