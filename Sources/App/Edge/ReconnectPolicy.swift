/// Which upstream to try next and when: SRS's round-robin (`index = count++ % n`) with faster
/// retries than SRS's fixed 3 s. After a failure the next endpoint is tried at once, until every
/// endpoint failed in a row; then the delays grow along `backoffMs` (250 ms … 3 s) and stay at
/// the last one. A session that streamed for `healthyAfterMs` clears the failure streak, so an
/// origin dying mid-stream costs one immediate retry, while a flapping one cannot make us spin.
///
/// Pure: time is passed in, so it is tested without a clock.
public struct ReconnectPolicy: Equatable, Sendable {
    /// Delays after a full round of endpoints failed, in order; the last one repeats.
    public var backoffMs: [Int64]
    /// A session must stream this long before its end counts as a fresh start.
    public var healthyAfterMs: Int64
    /// Round-robin counter: attempts started.
    public private(set) var attempts = 0
    /// Failures since the last healthy session.
    public private(set) var failureStreak = 0
    private var streamingSinceMs: Int64?

    /// An empty `backoffMs` means a fixed 3 s.
    public init(backoffMs: [Int64] = [250, 500, 1000, 2000, 3000], healthyAfterMs: Int64 = 1000) {
        self.backoffMs = backoffMs.isEmpty ? [3000] : backoffMs
        self.healthyAfterMs = healthyAfterMs
    }

    /// The index of the endpoint to try out of `count` (> 0), advancing the round robin.
    public mutating func nextIndex(count: Int) -> Int {
        let i = attempts % max(1, count)
        attempts += 1
        return i
    }

    /// The session started streaming (first media) at `now`.
    public mutating func streaming(now: Int64) {
        if streamingSinceMs == nil { streamingSinceMs = now }
    }

    /// The attempt ended at `now` with `endpointCount` endpoints known: the delay before the next.
    public mutating func failed(now: Int64, endpointCount: Int) -> Int64 {
        if let since = streamingSinceMs, now - since >= healthyAfterMs { failureStreak = 0 }
        streamingSinceMs = nil
        failureStreak += 1
        let round = max(1, endpointCount)
        if failureStreak <= round { return 0 }
        return backoffMs[min(failureStreak - round - 1, backoffMs.count - 1)]
    }
}
