/// A byte counter's rate over the last 30 s (SRS's `kbps.recv_30s` / `send_30s`), sampled once a
/// second by the server tick.
struct Kbps {
    private var samples: [(ms: Int64, bytes: UInt64)] = []

    mutating func sample(now: Int64, bytes: UInt64) {
        samples.append((now, bytes))
        while let first = samples.first, now - first.ms > 30_000 { samples.removeFirst() }
    }

    /// Kilobits per second over the sampled window.
    var kbps: Int {
        guard let first = samples.first, let last = samples.last, last.ms > first.ms, last.bytes >= first.bytes else { return 0 }
        return Int((last.bytes - first.bytes) * 8 / UInt64(last.ms - first.ms))
    }
}
