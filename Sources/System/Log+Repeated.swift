extension Log {
    nonisolated(unsafe) private static var limiter = LogRateLimiter()

    /// Logs a warning that clients can trigger over and over (a player too slow, a bad request,
    /// a refused name, a connection refused at capacity) through `LogRateLimiter`: the first
    /// ones of each 5 s window in full, then `kind: N more in 5s, last cid=...`. `kind` names
    /// the warning (a constant, so clients cannot make new kinds); `msg` is formatted only when
    /// it is written.
    public static func warnRepeated(_ kind: StaticString, _ msg: @autoclosure () -> String, cid: String? = nil) {
        repeated(.warn, kind, msg, cid)
    }

    /// `warnRepeated` at the error level (a failure clients can cause over and over, such as
    /// accept failing while they exhaust the file descriptors).
    public static func errorRepeated(_ kind: StaticString, _ msg: @autoclosure () -> String, cid: String? = nil) {
        repeated(.error, kind, msg, cid)
    }

    private static func repeated(_ lvl: LogLevel, _ kind: StaticString, _ msg: () -> String, _ cid: String?) {
        guard lvl >= level else { return }
        let now = Clock.monotonicMs()
        flushRepeated(now: now)
        var text = ""
        let written = limiter.admit(kind: kind.description, cid: cid ?? Self.cid, now: now) {
            text = msg()
            // The line's prefix (time, level, pid, cid) is about 50 bytes.
            return text.utf8.count + 50
        }
        if written { write(lvl, { text }, cid) }
    }

    /// Writes the summaries of the windows that ended; call it about once a second so the
    /// count of a burst that stopped comes out too.
    public static func flushRepeated() { flushRepeated(now: Clock.monotonicMs()) }

    private static func flushRepeated(now: Int64) {
        for s in limiter.endedWindows(now: now) { warn(s.line, cid: s.lastCID) }
    }
}
