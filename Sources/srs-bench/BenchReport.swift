import Protocol

/// The summary of one run: players connected/failed, aggregate Mbps over the window,
/// first-frame latency percentiles, stalls, and the sampled processes' CPU and RSS.
///
/// Player outcomes, each player counted once:
/// - `playing`: got a video keyframe and was still connected at the end;
/// - `failed`: never got a video keyframe (connect/handshake/command error, or timeout);
/// - `dropped`: got a keyframe, then the connection ended before the end of the run.
/// `stalled` counts players still connected that went without media for longer than
/// `--stall-ms` at least once inside the window.
struct BenchReport {
    let options: BenchOptions
    let url: PlayURL
    let players: [PlayerResult]
    /// Players that joined during the window (`--late-joiners`).
    let lateJoiners: [PlayerResult]
    /// Message delays and gaps of the players still connected at the end, over the window.
    let timing: TimingSummary
    let windowSeconds: Double
    /// Bytes each player received inside the window.
    let windowBytes: [UInt64]
    /// Socket reads that returned data inside the window, all players.
    let windowReads: Int
    let stalled: [Bool]
    let stallEvents: Int
    let rampSeconds: Double
    /// CPU of `--pids` over the window, percent of one core.
    let serverCPU: Double?
    /// The same, per sampled process (master, workers).
    let serverCPUByPid: [(pid: Int, percent: Double)]
    /// How busy the server's CPUs (`--server-cpus`) were over the window, percent of one core.
    let serverCPUSetBusy: Double?
    /// Every other user-space process's CPU over the window, percent of one core (rough; see
    /// `OthersSample`): other work on the machine that may have skewed this run.
    let othersCPU: Double
    /// Largest summed VmRSS of `--pids` seen in the window.
    let serverRSSKB: Int
    /// This process's CPU over the window, percent of one core.
    let clientCPU: Double?
    /// Lateness of the client's 10 ms tick over the whole run, sorted, in ms.
    let clientLoopLagsMs: [Int64]
    /// With `--on-pid`: connections that landed on another server process and were replaced.
    let misplaced: Int?

    var playing: Int { players.filter { $0.openAtEnd && $0.firstFrameUs != nil }.count }
    var failed: Int { players.filter { $0.firstFrameUs == nil }.count }
    var dropped: Int { players.filter { !$0.openAtEnd && $0.firstFrameUs != nil }.count }
    var stalledCount: Int { zip(players, stalled).filter { $0.0.openAtEnd && $0.1 }.count }

    /// Aggregate delivered rate over the window, in Mbit/s (every byte read, all players).
    var aggregateMbps: Double {
        guard windowSeconds > 0 else { return 0 }
        return Double(windowBytes.reduce(0, +)) * 8 / windowSeconds / 1_000_000
    }

    /// Average bytes per read inside the window, in KiB.
    var averageReadKB: Double {
        windowReads > 0 ? Double(windowBytes.reduce(0, +)) / Double(windowReads) / 1024 : 0
    }

    /// Mbit/s of each player connected at the end.
    var perPlayerMbps: [Double] {
        guard windowSeconds > 0 else { return [] }
        return zip(players, windowBytes).filter { $0.0.openAtEnd }.map { Double($0.1) * 8 / windowSeconds / 1_000_000 }
    }

    /// First-frame latencies in ms, sorted.
    var firstFramesMs: [Double] { Self.firstFrames(players) }
    /// The same for the late joiners.
    var lateFirstFramesMs: [Double] { Self.firstFrames(lateJoiners) }
    /// Late joiners that got no keyframe.
    var lateFailed: Int { lateJoiners.filter { $0.firstFrameUs == nil }.count }

    private static func firstFrames(_ players: [PlayerResult]) -> [Double] {
        players.compactMap { $0.firstFrameUs }.map { Double($0) / 1000 }.sorted()
    }

    /// p50/p99 in ms of one start-up milestone, over the players that reached it.
    func milestone(_ key: KeyPath<PlayerResult, Int64?>) -> (p50: Double?, p99: Double?) {
        let v = players.compactMap { $0[keyPath: key] }.map { Double($0) / 1000 }.sorted()
        return (Self.percentile(v, 0.5), Self.percentile(v, 0.99))
    }

    /// Nearest-rank percentile of sorted values (q in 0...1).
    static func percentile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((q * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }

    /// Failure reasons with their counts, most frequent first.
    var failureReasons: [(String, Int)] {
        var counts: [String: Int] = [:]
        for p in players where !p.openAtEnd { counts[p.failure ?? "closed", default: 0] += 1 }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    }

    /// The human-readable summary.
    func text() -> String {
        let ff = firstFramesMs
        let per = perPlayerMbps
        var lines: [String] = []
        let name = options.label.isEmpty ? "" : "[\(options.label)] "
        lines.append("\(name)srs-bench play \(options.url): \(options.players) players at \(Self.fmt(options.rate, 0))/s, "
                     + "ramp \(Self.fmt(rampSeconds, 1)) s, warmup \(Self.fmt(options.warmup, 1)) s, window \(Self.fmt(windowSeconds, 1)) s")
        lines.append("players:     \(playing) playing, \(failed) failed, \(dropped) dropped, \(stalledCount) stalled "
                     + "(\(stallEvents) stalls > \(options.stallMs) ms)")
        lines.append("delivered:   \(Self.fmt(aggregateMbps, 1)) Mbps aggregate; per player avg "
                     + "\(Self.fmt(per.isEmpty ? 0 : per.reduce(0, +) / Double(per.count), 2)) min \(Self.fmt(per.min() ?? 0, 2)) Mbps")
        lines.append("first frame: p50 \(Self.ms(Self.percentile(ff, 0.5))) p99 \(Self.ms(Self.percentile(ff, 0.99))) "
                     + "max \(Self.ms(ff.last)) ms (\(ff.count) players)")
        if !lateJoiners.isEmpty {
            let late = lateFirstFramesMs
            lines.append("late joiner: p50 \(Self.ms(Self.percentile(late, 0.5))) p99 \(Self.ms(Self.percentile(late, 0.99))) "
                         + "max \(Self.ms(late.last)) ms (\(late.count) of \(lateJoiners.count) got a keyframe)")
        }
        let t = timing
        lines.append("delivery:    delay p50 \(Self.ms(Self.percentile(t.delayMs, 0.5))) p99 \(Self.ms(Self.percentile(t.delayMs, 0.99))) "
                     + "max \(Self.ms(t.delayMs.last)) ms (\(t.delayMs.count) messages); gap p99 \(Self.ms(Self.percentile(t.gapMs, 0.99))) ms; "
                     + "largest gap per player p50 \(Self.ms(Self.percentile(t.playerMaxGapMs, 0.5))) "
                     + "p99 \(Self.ms(Self.percentile(t.playerMaxGapMs, 0.99))) max \(Self.ms(t.playerMaxGapMs.last)) ms")
        let steps: [(String, KeyPath<PlayerResult, Int64?>)] = [
            ("connected", \.connectedUs), ("handshake", \.handshakeUs), ("play sent", \.playSentUs), ("first media", \.firstMediaUs),
        ]
        lines.append("start-up:    " + steps.map { name, key in
            let m = milestone(key)
            return "\(name) \(Self.ms(m.p50))/\(Self.ms(m.p99))"
        }.joined(separator: ", ") + " ms (p50/p99)")
        let serverCPU = serverCPU.map { Self.fmt($0, 1) + "%" } ?? "-"
        let busy = serverCPUSetBusy.map { ", its CPUs \(options.serverCPUs.map(String.init).joined(separator: ",")) busy \(Self.fmt($0, 1))%" } ?? ""
        let byPid = serverCPUByPid.count > 1
            ? " [" + serverCPUByPid.map { "\($0.pid): \(Self.fmt($0.percent, 1))%" }.joined(separator: ", ") + "]" : ""
        lines.append("server:      cpu \(serverCPU)\(byPid)\(busy) rss \(Self.fmt(Double(serverRSSKB) / 1024, 1)) MB (pids \(options.pids.map(String.init).joined(separator: ",")))")
        lines.append("client:      cpu \(clientCPU.map { Self.fmt($0, 1) + "%" } ?? "-"), \(Self.fmt(averageReadKB, 1)) KiB per read, "
                     + "loop lag p99 \(lag(0.99)) max \(lag(1)) ms; other processes cpu \(Self.fmt(othersCPU, 1))%")
        if let misplaced, let pid = options.onPid {
            lines.append("placement:   players on pid \(pid); \(misplaced) connections landed on another process and were replaced")
        }
        for (reason, n) in failureReasons.prefix(5) { lines.append("  \(n) × \(reason)") }
        return lines.joined(separator: "\n")
    }

    /// The same figures as one JSON object.
    func json() -> JSONValue {
        let ff = firstFramesMs
        let per = perPlayerMbps
        func num(_ v: Double?) -> JSONValue { v.map { JSONValue.rounded($0, decimals: 2) } ?? .null }
        return [
            "label": .string(options.label),
            "url": .string(options.url),
            "players": .int(Int64(options.players)),
            "rate": num(options.rate),
            "ramp_s": num(rampSeconds),
            "warmup_s": num(options.warmup),
            "window_s": num(windowSeconds),
            "playing": .int(Int64(playing)),
            "failed": .int(Int64(failed)),
            "dropped": .int(Int64(dropped)),
            "stalled": .int(Int64(stalledCount)),
            "stall_events": .int(Int64(stallEvents)),
            "mbps": num(aggregateMbps),
            "player_mbps_avg": num(per.isEmpty ? nil : per.reduce(0, +) / Double(per.count)),
            "player_mbps_min": num(per.min()),
            "first_frame_ms": [
                "count": .int(Int64(ff.count)),
                "p50": num(Self.percentile(ff, 0.5)),
                "p90": num(Self.percentile(ff, 0.9)),
                "p99": num(Self.percentile(ff, 0.99)),
                "max": num(ff.last),
            ],
            "startup_ms": .object([
                ("connected", \PlayerResult.connectedUs), ("handshake", \.handshakeUs),
                ("play_sent", \.playSentUs), ("first_media", \.firstMediaUs),
            ].map { name, key in
                let m = milestone(key)
                return JSONMember(name, ["p50": num(m.p50), "p99": num(m.p99)])
            }),
            "late_first_frame_ms": [
                "count": .int(Int64(lateJoiners.count)),
                "no_keyframe": .int(Int64(lateFailed)),
                "p50": num(Self.percentile(lateFirstFramesMs, 0.5)),
                "p99": num(Self.percentile(lateFirstFramesMs, 0.99)),
                "max": num(lateFirstFramesMs.last),
            ],
            "delay_ms": [
                "messages": .int(Int64(timing.delayMs.count)),
                "p50": num(Self.percentile(timing.delayMs, 0.5)),
                "p90": num(Self.percentile(timing.delayMs, 0.9)),
                "p99": num(Self.percentile(timing.delayMs, 0.99)),
                "max": num(timing.delayMs.last),
            ],
            "gap_ms": [
                "p50": num(Self.percentile(timing.gapMs, 0.5)),
                "p99": num(Self.percentile(timing.gapMs, 0.99)),
                "max": num(timing.gapMs.last),
            ],
            "player_max_gap_ms": [
                "p50": num(Self.percentile(timing.playerMaxGapMs, 0.5)),
                "p99": num(Self.percentile(timing.playerMaxGapMs, 0.99)),
                "max": num(timing.playerMaxGapMs.last),
            ],
            "max_gap_ms": .int(players.filter(\.openAtEnd).map(\.maxGapMs).max() ?? 0),
            "server_cpu_percent": num(serverCPU),
            "server_cpu_by_pid": .object(serverCPUByPid.map { JSONMember(String($0.pid), num($0.percent)) }),
            "server_cpus_busy_percent": num(serverCPUSetBusy),
            "server_rss_mb": num(Double(serverRSSKB) / 1024),
            "client_cpu_percent": num(clientCPU),
            "others_cpu_percent": num(othersCPU),
            "avg_read_kb": num(averageReadKB),
            "client_lag_ms": ["p99": num(Self.percentile(clientLoopLagsMs.map(Double.init), 0.99)),
                              "max": num(clientLoopLagsMs.last.map(Double.init))],
            "failures": .object(failureReasons.prefix(5).map { JSONMember($0.0, .int(Int64($0.1))) }),
            "on_pid": options.onPid.map { .int(Int64($0)) } ?? .null,
            "misplaced": misplaced.map { .int(Int64($0)) } ?? .null,
        ]
    }

    /// Percentile of the client's loop lag, in ms.
    private func lag(_ q: Double) -> String {
        Self.ms(Self.percentile(clientLoopLagsMs.map(Double.init), q))
    }

    private static func ms(_ v: Double?) -> String { v.map { fmt($0, 1) } ?? "-" }

    /// `v` with `decimals` places (no Foundation in this target).
    static func fmt(_ v: Double, _ decimals: Int) -> String {
        guard v.isFinite else { return "-" }
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let n = Int64((abs(v) * scale).rounded())
        let whole = n / Int64(scale)
        var s = (v < 0 && n > 0 ? "-" : "") + String(whole)
        if decimals > 0 {
            let frac = String(n % Int64(scale))
            s += "." + String(repeating: "0", count: decimals - frac.count) + frac
        }
        return s
    }
}
