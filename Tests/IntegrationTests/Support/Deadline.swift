import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// How the integration tests wait: for a condition, until a deadline. Every wait goes through
/// here (logs through `SRSProcess.waitForLog`, built on it); a fixed sleep is left only where
/// the passing time is what a test checks ("nothing happens during X") or paces a client, and
/// says so.
struct Deadline {
    private let end: Date

    init(seconds: TimeInterval) { end = Date().addingTimeInterval(seconds) }

    var hasPassed: Bool { Date() >= end }
    /// Seconds left, 0 once passed.
    var remaining: TimeInterval { max(0, end.timeIntervalSinceNow) }

    /// Polls `condition` every `interval` until it holds or `timeout` passed (then checks it once
    /// more); true when it held.
    @discardableResult
    static func wait(timeout: TimeInterval, every interval: TimeInterval = 0.02, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Deadline(seconds: timeout)
        while !deadline.hasPassed {
            if try condition() { return true }
            usleep(useconds_t(min(interval, max(0.001, deadline.remaining)) * 1_000_000))
        }
        return try condition()
    }

    /// `wait`, throwing a failure that names `what` when the condition never held.
    static func require(_ what: @autoclosure () -> String, timeout: TimeInterval, every interval: TimeInterval = 0.02,
                        _ condition: () throws -> Bool) throws {
        guard try wait(timeout: timeout, every: interval, condition) else {
            throw TestError("no \(what()) within \(timeout)s")
        }
    }
}

extension SRSProcess {
    /// Waits until the log holds `text` at least `count` times; throws with the log's end (at
    /// once if the server exited).
    func waitForLog(_ text: String, count: Int = 1, timeout: TimeInterval = 10) throws {
        func found() -> Bool { log.components(separatedBy: text).count > count }
        Deadline.wait(timeout: timeout, every: 0.05) { found() || !process.isRunning }
        guard found() else {
            let why = process.isRunning ? "within \(timeout)s" : "(srs exited)"
            throw TestError("no \"\(text)\"\(count > 1 ? " \(count) times" : "") in the log \(why):\n\(log.suffix(6000))")
        }
    }
}
