import Protocol

/// The summary of one publish run. Each publisher counted once:
/// - `publishing`: published and still connected at the end;
/// - `failed`: never published (connect refused, publish rejected, closed, timeout);
/// - `disconnected`: published, then the connection ended before the end of the run.
/// `behind` counts publishers whose media went out more than `--behind-ms` late at least once
/// inside the window (`behindEver`: at any time since they started publishing).
struct PublishReport {
    let options: PublishOptions
    let clip: FLVClip
    let publishers: [PublisherResult]
    let windowSeconds: Double
    let rampSeconds: Double
    /// CPU of `--pids` over the window, percent of one core; and per process.
    let serverCPU: Double?
    let serverCPUByPid: [(pid: Int, percent: Double)]
    let serverCPUSetBusy: Double?
    let othersCPU: Double
    /// Largest summed VmRSS of `--pids` seen in the window.
    let serverRSSKB: Int
    let clientCPU: Double?
    let clientLoopLagsMs: [Int64]

    var publishing: Int { publishers.filter { $0.phase == .publishing }.count }
    var failed: Int { publishers.filter { $0.phase == .failed }.count }
    var disconnected: Int { publishers.filter { $0.phase == .disconnected }.count }
    var behind: Int { publishers.filter { $0.windowMaxLatenessUs > options.behindMs * 1000 }.count }
    var behindEver: Int { publishers.filter { $0.maxLatenessUs > options.behindMs * 1000 }.count }

    /// Lateness of every tag written in the window, ms, sorted.
    var latenessMs: [Double] {
        var all: [Int32] = []
        all.reserveCapacity(publishers.reduce(0) { $0 + $1.latenessUs.count })
        for p in publishers { all.append(contentsOf: p.latenessUs) }
        return all.sorted().map { Double($0) / 1000 }
    }

    /// Each publisher's largest lateness in the window, ms, sorted (publishers publishing).
    var publisherMaxLatenessMs: [Double] {
        publishers.filter { $0.phase == .publishing }.map { Double($0.windowMaxLatenessUs) / 1000 }.sorted()
    }

    /// Largest unread bytes per publisher in the server's socket, KiB, sorted (where seen).
    var unreadKB: [Double] {
        publishers.filter { $0.maxUnread >= 0 }.map { Double($0.maxUnread) / 1024 }.sorted()
    }

    /// Aggregate rate sent over the window (every byte written), Mbit/s.
    var mbps: Double {
        windowSeconds > 0 ? Double(publishers.reduce(0) { $0 + $1.windowBytes }) * 8 / windowSeconds / 1_000_000 : 0
    }

    /// Server CPU per publishing stream, percent of one core.
    var cpuPerStream: Double? {
        guard let cpu = serverCPU, publishing > 0 else { return nil }
        return cpu / Double(publishing)
    }

    /// Failure and disconnect reasons with their counts, most frequent first.
    var failureReasons: [(String, Int)] {
        var counts: [String: Int] = [:]
        for p in publishers where p.phase == .failed || p.phase == .disconnected {
            counts["\(p.phase == .failed ? "failed" : "disconnected"): \(p.failure ?? "closed")", default: 0] += 1
        }
        return counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
    }

    private static func p(_ v: [Double], _ q: Double) -> Double? { BenchReport.percentile(v, q) }
    private static func ms(_ v: Double?) -> String { v.map { BenchReport.fmt($0, 1) } ?? "-" }

    /// The human-readable summary.
    func text() -> String {
        let late = latenessMs
        let perPub = publisherMaxLatenessMs
        let unread = unreadKB
        let start = publishers.compactMap(\.publishUs).map { Double($0) / 1000 }.sorted()
        let name = options.label.isEmpty ? "" : "[\(options.label)] "
        var lines: [String] = []
        lines.append("\(name)srs-bench publish \(options.url): \(options.publishers) publishers at \(BenchReport.fmt(options.rate, 0))/s, "
                     + "ramp \(BenchReport.fmt(rampSeconds, 1)) s, warmup \(BenchReport.fmt(options.warmup, 1)) s, "
                     + "window \(BenchReport.fmt(windowSeconds, 1)) s")
        lines.append("clip:        \(options.clip): \(BenchReport.fmt(clip.kbps, 0)) kb/s, \(BenchReport.fmt(Double(clip.durationMs) / 1000, 2)) s loop, "
                     + "\(clip.media.count) tags, \(clip.headers.count) headers")
        lines.append("publishers:  \(publishing) publishing, \(failed) failed, \(disconnected) disconnected; "
                     + "\(behind) behind > \(options.behindMs) ms in the window (\(behindEver) ever)")
        lines.append("sent:        \(BenchReport.fmt(mbps, 1)) Mbps (clip × publishing = "
                     + "\(BenchReport.fmt(clip.kbps * Double(publishing) / 1000, 1)) Mbps)")
        lines.append("lateness:    p50 \(Self.ms(Self.p(late, 0.5))) p99 \(Self.ms(Self.p(late, 0.99))) max \(Self.ms(late.last)) ms "
                     + "(\(late.count) tags); per publisher max p50 \(Self.ms(Self.p(perPub, 0.5))) p99 \(Self.ms(Self.p(perPub, 0.99))) ms")
        lines.append("server read: unread per publisher (max) p50 \(Self.ms(Self.p(unread, 0.5))) p99 \(Self.ms(Self.p(unread, 0.99))) "
                     + "max \(Self.ms(unread.last)) KiB (\(unread.count) seen)")
        lines.append("start-up:    publish accepted p50 \(Self.ms(Self.p(start, 0.5))) p99 \(Self.ms(Self.p(start, 0.99))) ms")
        let cpu = serverCPU.map { BenchReport.fmt($0, 1) + "%" } ?? "-"
        let byPid = serverCPUByPid.count > 1
            ? " [" + serverCPUByPid.map { "\($0.pid): \(BenchReport.fmt($0.percent, 1))%" }.joined(separator: ", ") + "]" : ""
        let busy = serverCPUSetBusy.map { ", its CPUs busy \(BenchReport.fmt($0, 1))%" } ?? ""
        lines.append("server:      cpu \(cpu)\(byPid)\(busy), \(cpuPerStream.map { BenchReport.fmt($0, 3) } ?? "-")% per stream, "
                     + "rss \(BenchReport.fmt(Double(serverRSSKB) / 1024, 1)) MB")
        lines.append("client:      cpu \(clientCPU.map { BenchReport.fmt($0, 1) + "%" } ?? "-"), loop lag p99 "
                     + "\(Self.ms(Self.p(clientLoopLagsMs.map(Double.init), 0.99))) max \(Self.ms(clientLoopLagsMs.last.map(Double.init))) ms; "
                     + "other processes cpu \(BenchReport.fmt(othersCPU, 1))%")
        for (reason, n) in failureReasons.prefix(5) { lines.append("  \(n) × \(reason)") }
        return lines.joined(separator: "\n")
    }

    /// The same figures as one JSON object.
    func json() -> JSONValue {
        let late = latenessMs
        let perPub = publisherMaxLatenessMs
        let unread = unreadKB
        let start = publishers.compactMap(\.publishUs).map { Double($0) / 1000 }.sorted()
        let lags = clientLoopLagsMs.map(Double.init)
        func num(_ v: Double?) -> JSONValue { v.map { JSONValue.rounded($0, decimals: 2) } ?? .null }
        return [
            "label": .string(options.label),
            "url": .string(options.url),
            "publishers": .int(Int64(options.publishers)),
            "rate": num(options.rate),
            "ramp_s": num(rampSeconds),
            "warmup_s": num(options.warmup),
            "window_s": num(windowSeconds),
            "clip_kbps": num(clip.kbps),
            "publishing": .int(Int64(publishing)),
            "failed": .int(Int64(failed)),
            "disconnected": .int(Int64(disconnected)),
            "behind_ms": .int(options.behindMs),
            "behind": .int(Int64(behind)),
            "behind_ever": .int(Int64(behindEver)),
            "mbps": num(mbps),
            "expected_mbps": num(clip.kbps * Double(publishing) / 1000),
            "lateness_ms": ["tags": .int(Int64(late.count)), "p50": num(Self.p(late, 0.5)), "p99": num(Self.p(late, 0.99)),
                            "max": num(late.last)],
            "publisher_max_lateness_ms": ["p50": num(Self.p(perPub, 0.5)), "p99": num(Self.p(perPub, 0.99))],
            "server_unread_kb": ["seen": .int(Int64(unread.count)), "p50": num(Self.p(unread, 0.5)),
                                 "p99": num(Self.p(unread, 0.99)), "max": num(unread.last)],
            "publish_ms": ["p50": num(Self.p(start, 0.5)), "p99": num(Self.p(start, 0.99))],
            "server_cpu_percent": num(serverCPU),
            "server_cpu_by_pid": .object(serverCPUByPid.map { JSONMember(String($0.pid), num($0.percent)) }),
            "server_cpus_busy_percent": num(serverCPUSetBusy),
            "cpu_per_stream_percent": num(cpuPerStream),
            "server_rss_mb": num(Double(serverRSSKB) / 1024),
            "client_cpu_percent": num(clientCPU),
            "client_lag_ms": ["p99": num(Self.p(lags, 0.99)), "max": num(lags.last)],
            "others_cpu_percent": num(othersCPU),
            "failures": .object(failureReasons.prefix(5).map { JSONMember($0.0, .int(Int64($0.1))) }),
        ]
    }
}
