import System

/// Drives one run on a single epoll loop: starts players at `rate` per second, waits `warmup`
/// seconds after the last one started, then measures a steady window of `duration` seconds
/// (bytes delivered, stalls, the sampled processes' CPU and RSS) and closes everything.
///
/// Timeline: `ramp (players / rate s) → warmup → window → stop`. First-frame latency is
/// measured for every player, including those that joined during the ramp under load. With
/// `--late-joiners K`, K more players join one by one over the first half of the window, while
/// the N others play: the start-up a viewer sees on a loaded server. They are reported apart
/// and not counted in the window's bytes, stalls or message timing.
final class LoadRunner {
    private let options: BenchOptions
    private let url: PlayURL
    private let loop: EventLoop
    private var players: [RTMPPlayer] = []
    private var lateJoiners: [RTMPPlayer] = []
    private var rampStartMs: Int64 = 0
    private var rampDoneMs: Int64?
    private var window: WindowState?
    private var finished = false
    private var tickers: [RepeatingTimer] = []
    /// Lateness of the 10 ms ramp tick, in ms: how long this loop was busy elsewhere. A large
    /// value means the client, not the server, delayed what players saw.
    private var lastTickMs: Int64 = 0
    private var loopLags: [Int64] = []
    /// With `--on-pid`: keeps only the players that landed on that server process.
    private let placement: PlayerPlacement?

    /// What is recorded over the measured window.
    private struct WindowState {
        var startMs: Int64
        var startBytes: [UInt64]
        var startReads: Int
        var serverStart: ProcessSample
        var clientStart: ProcessSample
        var cpuSetStart: CPUSetSample
        var othersStart: OthersSample
        var stalled: [Bool]
        var stallEvents = 0
        var inStall: [Bool]
        var maxRSSKB = 0
        var lastRSSCheckMs: Int64 = 0
    }

    init(options: BenchOptions, url: PlayURL) throws {
        self.options = options
        self.url = url
        loop = try EventLoop()
        placement = options.onPid.map { PlayerPlacement(pid: $0, serverPort: url.port) }
    }

    /// Runs to the end of the window and returns the measurements.
    func run() -> BenchReport? {
        rampStartMs = loop.now
        tickers.append(loop.repeating(everyMs: 10) { [unowned self] in self.ramp() })
        tickers.append(loop.repeating(everyMs: 100) { [unowned self] in self.check() })
        if placement != nil {
            tickers.append(loop.repeating(everyMs: 20) { [unowned self] in self.place() })
        }
        loop.run()
        return report
    }

    /// Set once, when the window ends (the loop then stops).
    private var report: BenchReport?

    private func ramp() {
        let now = Clock.monotonicMs()
        if lastTickMs > 0 { loopLags.append(max(0, now - lastTickMs - 10)) }
        lastTickMs = now
        guard rampDoneMs == nil else { return }
        let elapsed = Double(loop.now - rampStartMs) / 1000
        let target = min(options.players, Int(elapsed * options.rate) + 1)
        while players.count < target {
            players.append(newPlayer())
        }
        // With `--on-pid`, the ramp ends once every player is on the wanted process.
        if players.count == options.players && !players.contains(where: \.awaitsPlacement) { rampDoneMs = loop.now }
    }

    private func newPlayer() -> RTMPPlayer {
        let p = RTMPPlayer(url: url, loop: loop)
        p.holdsHandshake = placement != nil
        p.start()
        return p
    }

    /// Releases the held players that landed on the wanted process and replaces the others.
    private func place() {
        guard let placement else { return }
        for isLate in [false, true] {
            let list = isLate ? lateJoiners : players
            let held = list.indices.filter { list[$0].isHeld }
            guard !held.isEmpty else { continue }
            let verdicts = placement.verdicts(held.map { list[$0].localPort })
            for (i, verdict) in zip(held, verdicts) {
                switch verdict {
                case .here:
                    list[i].release()
                case .elsewhere:
                    placement.misplaced += 1
                    list[i].stop()
                    if isLate { lateJoiners[i] = newPlayer() } else { players[i] = newPlayer() }
                case .unknown:
                    break
                }
            }
        }
    }

    private func check() {
        let now = loop.now
        for p in players + lateJoiners where p.isOpen && p.firstFrameUs == nil {
            if (MicroClock.now() - p.startUs) / 1000 > options.connectTimeoutMs {
                p.fail(p.awaitsPlacement ? "not on pid \(options.onPid ?? 0) within \(options.connectTimeoutMs) ms"
                       : "no video keyframe within \(options.connectTimeoutMs) ms")
            }
        }
        guard let done = rampDoneMs else { return }
        guard var w = window else {
            if Double(now - done) >= options.warmup * 1000 { window = startWindow(now) }
            return
        }
        watchStalls(now, &w)
        window = w
        startLateJoiners(now, since: w.startMs)
        if Double(now - w.startMs) >= options.duration * 1000 { finish(now) }
    }

    private func startWindow(_ now: Int64) -> WindowState {
        var w = WindowState(startMs: now, startBytes: players.map(\.bytesReceived),
                             startReads: players.reduce(0) { $0 + $1.reads },
                             serverStart: ProcessSample(pids: options.pids), clientStart: ProcessSample(pids: [0]),
                             cpuSetStart: CPUSetSample(cpus: options.serverCPUs),
                             othersStart: OthersSample(excluding: ownPids),
                             stalled: Array(repeating: false, count: players.count),
                             inStall: Array(repeating: false, count: players.count))
        w.maxRSSKB = ProcessSample.rssKB(pids: options.pids)
        w.lastRSSCheckMs = now
        for p in players { p.recording = true }
        return w
    }

    /// Starts the late joiners that are due: evenly over the first half of the window, so the
    /// last one still has half the window to get its first keyframe.
    private func startLateJoiners(_ now: Int64, since startMs: Int64) {
        guard options.lateJoiners > 0 else { return }
        let spacingMs = options.duration * 500 / Double(options.lateJoiners)
        while lateJoiners.count < options.lateJoiners && Double(now - startMs) >= Double(lateJoiners.count) * spacingMs {
            lateJoiners.append(newPlayer())
        }
    }

    /// Marks players without media for longer than `stallMs`; each new gap is one stall event.
    private func watchStalls(_ now: Int64, _ w: inout WindowState) {
        for (i, p) in players.enumerated() where p.isOpen {
            let stalled = now - p.lastMediaMs > options.stallMs
            if stalled && !w.inStall[i] {
                w.stallEvents += 1
                w.stalled[i] = true
            }
            w.inStall[i] = stalled
        }
        if now - w.lastRSSCheckMs >= 1000 {
            w.lastRSSCheckMs = now
            w.maxRSSKB = max(w.maxRSSKB, ProcessSample.rssKB(pids: options.pids))
        }
    }

    /// The benchmark's processes other than this one: the server's and `--exclude-pids`.
    private var ownPids: Set<Int> { Set(options.pids + options.excludePids) }

    private func finish(_ now: Int64) {
        guard !finished, let w = window else { return }
        finished = true
        let others = OthersSample(excluding: ownPids).cpuPercent(since: w.othersStart)
        let serverEnd = ProcessSample(pids: options.pids)
        let clientEnd = ProcessSample(pids: [0])
        let cpuSetEnd = CPUSetSample(cpus: options.serverCPUs)
        let rss = max(w.maxRSSKB, ProcessSample.rssKB(pids: options.pids))
        let seconds = Double(now - w.startMs) / 1000
        var windowBytes: [UInt64] = []
        for (i, p) in players.enumerated() { windowBytes.append(p.bytesReceived - w.startBytes[i]) }
        for p in players { p.recording = false }
        report = BenchReport(options: options, url: url, players: players.map(PlayerResult.init),
                             lateJoiners: lateJoiners.map(PlayerResult.init),
                             timing: TimingSummary(players.filter(\.isOpen).map(\.timing)),
                             windowSeconds: seconds, windowBytes: windowBytes,
                             windowReads: players.reduce(0) { $0 + $1.reads } - w.startReads,
                             stalled: w.stalled, stallEvents: w.stallEvents,
                             rampSeconds: Double((rampDoneMs ?? now) - rampStartMs) / 1000,
                             serverCPU: serverEnd.cpuPercent(since: w.serverStart),
                             serverCPUByPid: serverEnd.perProcess(since: w.serverStart),
                             serverCPUSetBusy: cpuSetEnd.busyPercent(since: w.cpuSetStart),
                             othersCPU: others,
                             serverRSSKB: rss, clientCPU: clientEnd.cpuPercent(since: w.clientStart),
                             clientLoopLagsMs: loopLags.sorted(),
                             misplaced: placement?.misplaced)
        for t in tickers { t.cancel() }
        for p in players + lateJoiners { p.stop() }
        loop.stop()
    }
}

/// What the report needs from a player once the run ended.
struct PlayerResult {
    var firstFrameUs: Int64?
    var connectedUs: Int64?
    var handshakeUs: Int64?
    var playSentUs: Int64?
    var firstMediaUs: Int64?
    var openAtEnd: Bool
    var failure: String?
    var maxGapMs: Int64

    init(_ p: RTMPPlayer) {
        firstFrameUs = p.firstFrameUs
        connectedUs = p.connectedUs
        handshakeUs = p.handshakeUs
        playSentUs = p.playSentUs
        firstMediaUs = p.firstMediaUs
        openAtEnd = p.isOpen
        failure = p.failure
        maxGapMs = p.maxGapMs
    }
}
