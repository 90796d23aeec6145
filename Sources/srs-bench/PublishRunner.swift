import System

/// Drives one publish run on a single epoll loop: starts publishers at `rate` per second, paces
/// every publisher on one 10 ms tick, waits `warmup` seconds after the ramp, then measures a
/// steady window of `duration` seconds (bytes sent, lateness, the server's unread bytes per
/// publisher, the sampled processes' CPU and RSS) and closes everything.
///
/// One tick for all publishers rather than a timer per tag: 1000 publishers of 25 fps video and
/// 47 AAC frames/s are 72 000 tags/s, but only 100 wake-ups/s; the tags due in one tick go out
/// in one `writev` per publisher.
final class PublishRunner {
    static let tickMs: Int64 = 10

    private let options: PublishOptions
    private let url: PlayURL
    private let clip: FLVClip
    private let loop: EventLoop
    private var publishers: [RTMPPublisher] = []
    private var rampStartMs: Int64 = 0
    private var rampDoneMs: Int64?
    private var window: WindowState?
    private var finished = false
    private var tickers: [RepeatingTimer] = []
    private var lastTickMs: Int64 = 0
    /// Lateness of the 10 ms tick, ms: a busy client shows here (and in everyone's lateness).
    private var loopLags: [Int64] = []
    /// Set once, when the window ends (the loop then stops).
    private var report: PublishReport?

    private struct WindowState {
        var startMs: Int64
        var startBytes: [UInt64]
        var serverStart: ProcessSample
        var clientStart: ProcessSample
        var cpuSetStart: CPUSetSample
        var othersStart: OthersSample
        var maxRSSKB = 0
        var lastSampleMs: Int64 = 0
        /// Largest unread byte count the server's socket held, per publisher (-1: not seen).
        var maxUnread: [Int]
    }

    init(options: PublishOptions, url: PlayURL, clip: FLVClip) throws {
        self.options = options
        self.url = url
        self.clip = clip
        loop = try EventLoop()
    }

    /// Runs to the end of the window and returns the measurements.
    func run() -> PublishReport? {
        rampStartMs = loop.now
        tickers.append(loop.repeating(everyMs: Self.tickMs) { [unowned self] in self.tick() })
        tickers.append(loop.repeating(everyMs: 100) { [unowned self] in self.check() })
        loop.run()
        return report
    }

    private func tick() {
        let now = Clock.monotonicMs()
        if lastTickMs > 0 { loopLags.append(max(0, now - lastTickMs - Self.tickMs)) }
        lastTickMs = now
        if rampDoneMs == nil {
            let elapsed = Double(loop.now - rampStartMs) / 1000
            let target = min(options.publishers, Int(elapsed * options.rate) + 1)
            while publishers.count < target {
                let i = publishers.count + 1
                let p = RTMPPublisher(index: i, url: url, streamName: PublishOptions.streamName(url.stream, index: i), clip: clip,
                                      chunkSize: options.chunkSize, maxQueuedBytes: options.maxQueuedBytes, loop: loop)
                publishers.append(p)
                p.start()
            }
            if publishers.count == options.publishers { rampDoneMs = loop.now }
        }
        let nowUs = MicroClock.now()
        for p in publishers { p.pump(nowUs) }
    }

    private func check() {
        let now = loop.now
        let nowUs = MicroClock.now()
        for p in publishers where p.phase == .starting && (nowUs - p.startUs) / 1000 > options.connectTimeoutMs {
            p.timeOut("not publishing after \(options.connectTimeoutMs) ms")
        }
        guard let done = rampDoneMs else { return }
        guard var w = window else {
            if Double(now - done) >= options.warmup * 1000 { window = startWindow(now) }
            return
        }
        if now - w.lastSampleMs >= 1000 {
            sample(now, &w)
            window = w
        }
        if Double(now - w.startMs) >= options.duration * 1000 { finish(now) }
    }

    private func startWindow(_ now: Int64) -> WindowState {
        var w = WindowState(startMs: now, startBytes: publishers.map(\.bytesWritten),
                            serverStart: ProcessSample(pids: options.pids), clientStart: ProcessSample(pids: [0]),
                            cpuSetStart: CPUSetSample(cpus: options.serverCPUs),
                            othersStart: OthersSample(excluding: Set(options.pids + options.excludePids)),
                            maxUnread: Array(repeating: -1, count: publishers.count))
        sample(now, &w)
        let from = MicroClock.now()
        for p in publishers {
            p.recordFromUs = from
            p.recording = true
        }
        return w
    }

    /// Once a second: the server's RSS, and how much of each publisher's stream waits unread
    /// in the server's socket (on loopback a publisher's writes succeed until that queue is full,
    /// so a server that reads slowly shows here before it shows as lateness).
    private func sample(_ now: Int64, _ w: inout WindowState) {
        w.lastSampleMs = now
        w.maxRSSKB = max(w.maxRSSKB, ProcessSample.rssKB(pids: options.pids))
        let table = ServerSockets(serverPort: url.port)
        guard !table.byPeerPort.isEmpty else { return }
        for (i, p) in publishers.enumerated() where p.phase == .publishing {
            if let port = p.localPort, let e = table.byPeerPort[port] { w.maxUnread[i] = max(w.maxUnread[i], e.unread) }
        }
    }

    private func finish(_ now: Int64) {
        guard !finished, let w = window else { return }
        finished = true
        let others = OthersSample(excluding: Set(options.pids + options.excludePids)).cpuPercent(since: w.othersStart)
        let serverEnd = ProcessSample(pids: options.pids)
        let clientEnd = ProcessSample(pids: [0])
        let cpuSetEnd = CPUSetSample(cpus: options.serverCPUs)
        let rss = max(w.maxRSSKB, ProcessSample.rssKB(pids: options.pids))
        let seconds = Double(now - w.startMs) / 1000
        for p in publishers { p.recording = false }
        report = PublishReport(options: options, clip: clip,
                               publishers: publishers.enumerated().map { i, p in
                                   PublisherResult(p, windowBytes: p.bytesWritten - w.startBytes[i], maxUnread: w.maxUnread[i])
                               },
                               windowSeconds: seconds, rampSeconds: Double((rampDoneMs ?? now) - rampStartMs) / 1000,
                               serverCPU: serverEnd.cpuPercent(since: w.serverStart),
                               serverCPUByPid: serverEnd.perProcess(since: w.serverStart),
                               serverCPUSetBusy: cpuSetEnd.busyPercent(since: w.cpuSetStart),
                               othersCPU: others, serverRSSKB: rss,
                               clientCPU: clientEnd.cpuPercent(since: w.clientStart),
                               clientLoopLagsMs: loopLags.sorted())
        for t in tickers { t.cancel() }
        for p in publishers { p.stop() }
        loop.stop()
    }
}

/// What the report needs from a publisher once the run ended.
struct PublisherResult {
    var phase: RTMPPublisher.Phase
    var failure: String?
    var publishUs: Int64?
    var latenessUs: [Int32]
    var maxLatenessUs: Int64
    var windowMaxLatenessUs: Int64
    var windowBytes: UInt64
    /// Largest unread bytes in the server's socket over the window; -1 when not seen.
    var maxUnread: Int

    init(_ p: RTMPPublisher, windowBytes: UInt64, maxUnread: Int) {
        phase = p.phase
        failure = p.failure
        publishUs = p.publishUs
        latenessUs = p.latenessUs
        maxLatenessUs = p.maxLatenessUs
        windowMaxLatenessUs = p.windowMaxLatenessUs
        self.windowBytes = windowBytes
        self.maxUnread = maxUnread
    }
}
