/// Lets the first `burst` lines of one kind through in each window of `windowMs`, and counts the
/// rest for one summary line when the window ends: a flood of slow clients (each closed by a
/// deadline or evicted at max_connections) cannot flood the log. Pure: time comes in.
struct LogBudget: Equatable {
    let burst: Int
    let windowMs: Int64
    private var windowStart: Int64?
    private var logged = 0
    private(set) var suppressed = 0

    init(burst: Int, windowMs: Int64) {
        self.burst = burst
        self.windowMs = windowMs
    }

    /// One more line at `now`: whether to log it, and the count of the lines suppressed in the
    /// window that just ended (to summarise first), if any.
    mutating func take(now: Int64) -> (log: Bool, endedSuppressed: Int?) {
        let ended = roll(now: now)
        if logged < burst {
            logged += 1
            return (true, ended)
        }
        suppressed += 1
        return (false, ended)
    }

    /// Called now and then (every tick): the suppressed count of a window that ended, once.
    mutating func flush(now: Int64) -> Int? { roll(now: now) }

    /// Starts a new window when the current one is over; returns its suppressed count if any.
    private mutating func roll(now: Int64) -> Int? {
        guard let start = windowStart, now - start < windowMs else {
            let ended = suppressed
            windowStart = now
            logged = 0
            suppressed = 0
            return ended > 0 ? ended : nil
        }
        return nil
    }
}
