/// When to start a supervised child again after it ended (an ingest's or a transcode's ffmpeg,
/// an exec'd program). SRS polls every 3 s and restarts whatever ended; here a child that ran
/// well (`healthyAfterMs` or longer) is restarted after the first delay, and one that keeps
/// ending early waits longer each time (`delaysMs`, the last one repeating), so a broken input
/// or a missing program costs a start every 30 s, not a busy loop.
///
/// Pure: the caller passes how long the run lasted.
public struct RestartBackoff: Equatable, Sendable {
    /// Delays after consecutive short runs, in order; the last one repeats.
    public var delaysMs: [Int64]
    /// A run this long resets the streak.
    public var healthyAfterMs: Int64
    /// Short runs in a row, the last one included.
    public private(set) var failures = 0

    /// An empty `delaysMs` means a fixed 3 s (SRS's cycle).
    public init(delaysMs: [Int64] = [500, 1000, 2000, 4000, 8000, 16000, 30000], healthyAfterMs: Int64 = 5000) {
        self.delaysMs = delaysMs.isEmpty ? [3000] : delaysMs
        self.healthyAfterMs = healthyAfterMs
    }

    /// A run of `runMs` ended (a failed start counts as 0): the delay before the next start.
    public mutating func ended(runMs: Int64) -> Int64 {
        if runMs >= healthyAfterMs { failures = 0 }
        failures += 1
        return delaysMs[min(failures - 1, delaysMs.count - 1)]
    }

    /// Forgets the streak (the child was restarted on purpose, e.g. by a reload).
    public mutating func reset() { failures = 0 }
}
