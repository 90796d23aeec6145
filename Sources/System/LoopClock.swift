/// Where an event loop (and the log's rate limiter) reads the time: the monotonic clock, or in
/// tests a clock moved by hand, so timer logic is tested without waiting.
public protocol LoopClock: AnyObject {
    /// Milliseconds on a clock that never goes back.
    var nowMs: Int64 { get }
}

/// CLOCK_MONOTONIC.
public final class MonotonicClock: LoopClock, Sendable {
    public static let shared = MonotonicClock()
    public var nowMs: Int64 { Clock.monotonicMs() }
}

/// A clock that moves only when told (tests).
public final class ManualClock: LoopClock {
    public private(set) var nowMs: Int64

    public init(nowMs: Int64 = 1_000_000) { self.nowMs = nowMs }

    public func advance(byMs ms: Int64) { nowMs += max(0, ms) }
}
