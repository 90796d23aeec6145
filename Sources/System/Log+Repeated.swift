/// Lines that clients can cause over and over, bounded by one `LogRateLimiter` (about 1 MB of
/// log a minute at most, whatever they do): repeated warnings (`warnRepeated`: the first 5 of
/// each kind every 5 s, then a count) and the lines of each connection (`traceClient`: all of
/// them while the byte budget lasts, then a count).
extension Log {
    nonisolated(unsafe) static var limiter = LogRateLimiter()
    /// The limiter's time (a test's `ManualClock` makes windows end without waiting).
    nonisolated(unsafe) public static var limiterClock: LoopClock = MonotonicClock.shared

    /// A warning that clients can trigger over and over (a player too slow, a bad request, a
    /// refused name, a connection refused at capacity): the first ones of each 5 s window in
    /// full, then `kind: N more in 5s, last cid=...`. `kind` names the warning (a constant, so
    /// clients cannot make new kinds); `msg` is formatted only when it is written.
    public static func warnRepeated(_ kind: StaticString, _ msg: @autoclosure () -> String, cid: String? = nil) {
        limited(.warn, kind, msg, cid, maxLines: nil)
    }

    /// `warnRepeated` at the error level (a failure clients can cause over and over, such as
    /// accept failing while they exhaust the file descriptors).
    public static func errorRepeated(_ kind: StaticString, _ msg: @autoclosure () -> String, cid: String? = nil) {
        limited(.error, kind, msg, cid, maxLines: nil)
    }

    /// `warnRepeated` at the trace level (an event one client can repeat at will, such as
    /// sending metadata).
    public static func traceRepeated(_ kind: StaticString, _ msg: @autoclosure () -> String, cid: String? = nil) {
        limited(.trace, kind, msg, cid, maxLines: nil)
    }

    /// A trace line of one client's life (accepted, connected, publishing, playing, closed):
    /// written while the shared byte budget lasts, which a normal burst (a thousand players
    /// joining) does not exhaust and a flood of connections does; then counted per kind.
    public static func traceClient(_ kind: StaticString, _ msg: @autoclosure () -> String, cid: String? = nil) {
        limited(.trace, kind, msg, cid, maxLines: Int.max)
    }

    /// `traceClient` at the info level (handshakes, HTTP requests).
    public static func infoClient(_ kind: StaticString, _ msg: @autoclosure () -> String, cid: String? = nil) {
        limited(.info, kind, msg, cid, maxLines: Int.max)
    }

    private static func limited(_ lvl: LogLevel, _ kind: StaticString, _ msg: () -> String, _ cid: String?, maxLines: Int?) {
        guard lvl >= level else { return }
        let now = limiterClock.nowMs
        flushRepeated(now: now)
        var text = ""
        let written = limiter.admit(kind: kind.description, cid: cid ?? Self.cid, now: now, maxLines: maxLines) {
            text = msg()
            // The line's prefix (time, level, pid, cid) is about 50 bytes.
            return text.utf8.count + 50
        }
        if written { write(lvl, { text }, cid) }
    }

    /// For one of `workers` processes writing the same log: takes its share of the budget, so
    /// that together they stay under the bound.
    public static func shareClientBudget(among workers: Int) { limiter.share(among: workers) }

    /// Writes the summaries of the windows that ended; call it about once a second so the
    /// count of a burst that stopped comes out too.
    public static func flushRepeated() { flushRepeated(now: limiterClock.nowMs) }

    private static func flushRepeated(now: Int64) {
        for s in limiter.endedWindows(now: now) { warn(s.line, cid: s.lastCID) }
    }
}
