/// Decides which log lines that clients can cause over and over (a player too slow, a bad
/// request, a refused name, and the lines of every connection they open and close) are written,
/// so that no client can make the log grow faster than about 1 MB a minute. Pure logic: the time
/// is passed in.
///
/// Each kind of line (a constant of the code, never client text) has windows of `windowMs`: the
/// first `maxLines` occurrences of a window are written in full (`linesPerWindow` for repeated
/// warnings, unlimited for the lines of each connection), the rest counted; when the window ends
/// the count comes out as one summary (`player too slow: 1234 more in 5s, last cid=...`) and the
/// next occurrence opens a new window. Full lines of every kind also draw on one byte budget
/// (`budgetBytesPerSecond`, up to `budgetBurstBytes` saved for bursts such as a thousand players
/// joining at once), so a flood of connections, of many kinds or of long lines is bounded too;
/// what the budget refuses is counted in the summaries. Summaries are at most one per kind and
/// window.
///
/// Bound with the defaults: full lines ≤ 6 KiB/s (369 KB a minute) after a saved burst of at most
/// 512 KiB (a thousand players joining at once log about 410 KB), plus one summary of ~130 bytes
/// per kind (about 40 kinds) every 5 s (≤ 63 KB a minute): under 1 MB in any minute. Workers
/// writing one log share the budget (`share(among:)`); the summaries are per worker.
public struct LogRateLimiter {
    public var windowMs: Int64
    public var linesPerWindow: Int
    public var budgetBytesPerSecond: Int
    public var budgetBurstBytes: Int

    /// The occurrences of one kind that a window did not write.
    public struct Summary: Equatable, Sendable {
        public var kind: String
        public var count: Int
        /// From the window's first occurrence to its end.
        public var spanMs: Int64
        /// The context id of the last occurrence not written.
        public var lastCID: String

        /// `player too slow: 1234 more in 5s, last cid=abcd1234`.
        public var line: String { "\(kind): \(count) more in \((spanMs + 500) / 1000)s, last cid=\(lastCID)" }
    }

    private struct Window {
        var startMs: Int64
        var written = 0
        var suppressed = 0
        var lastCID = ""
    }

    private var windows: [String: Window] = [:]
    private var budget: Int
    private var budgetRefilledMs: Int64?

    /// The whole log's byte budget: per second, and saved for bursts.
    public static let logBytesPerSecond = 6 * 1024
    public static let logBurstBytes = 512 * 1024

    public init(windowMs: Int64 = 5000, linesPerWindow: Int = 5, budgetBytesPerSecond: Int = logBytesPerSecond,
                budgetBurstBytes: Int = logBurstBytes) {
        self.windowMs = windowMs
        self.linesPerWindow = linesPerWindow
        self.budgetBytesPerSecond = budgetBytesPerSecond
        self.budgetBurstBytes = budgetBurstBytes
        budget = budgetBurstBytes
    }

    /// Whether an occurrence of `kind` at `now` is written in full: at most `maxLines` a window
    /// (nil: `linesPerWindow`), within the byte budget. `bytes` (the line's size) is asked only
    /// when the window still has room, so a suppressed message is never formatted. Call
    /// `endedWindows(now:)` first: an ended window's summary comes out there.
    public mutating func admit(kind: String, cid: String, now: Int64, maxLines: Int? = nil, bytes: () -> Int) -> Bool {
        refill(now: now)
        var w = windows[kind] ?? Window(startMs: now)
        defer { windows[kind] = w }
        if w.written < maxLines ?? linesPerWindow {
            let size = bytes()
            if size <= budget {
                budget -= size
                w.written += 1
                return true
            }
        }
        w.suppressed += 1
        w.lastCID = cid
        return false
    }

    /// The summaries of the windows that ended by `now` (oldest first), which are then closed.
    /// Call it before `admit` and about once a second, so that the count of a burst that stopped
    /// comes out too.
    public mutating func endedWindows(now: Int64) -> [Summary] {
        var out: [Summary] = []
        for (kind, w) in windows where now - w.startMs >= windowMs {
            windows[kind] = nil
            if w.suppressed > 0 {
                out.append(Summary(kind: kind, count: w.suppressed, spanMs: now - w.startMs, lastCID: w.lastCID))
            }
        }
        return out.sorted { $0.spanMs > $1.spanMs }
    }

    /// Takes a `1/count` share of the whole log's budget, for one of `count` processes that
    /// write the same log (the workers).
    public mutating func share(among count: Int) {
        let n = max(1, count)
        budgetBytesPerSecond = Self.logBytesPerSecond / n
        budgetBurstBytes = Self.logBurstBytes / n
        budget = min(budget, budgetBurstBytes)
    }

    /// Kinds with an open window (bounded by the code's kinds of warnings).
    public var openWindows: Int { windows.count }

    private mutating func refill(now: Int64) {
        guard let last = budgetRefilledMs else {
            budgetRefilledMs = now
            return
        }
        let elapsed = now - last
        guard elapsed > 0 else { return }
        let gained = Int(min(elapsed, 3_600_000)) * budgetBytesPerSecond / 1000
        // Only whole bytes are taken; the rest of the time stays for the next refill.
        guard gained > 0 else { return }
        budget = min(budgetBurstBytes, budget + gained)
        budgetRefilledMs = now
    }
}
