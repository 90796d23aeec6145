import System

/// The wall-clock bound of merged writes (`MergedWriteRule.fallbackMs`): what waits longer is
/// written anyway. One timer, armed when something starts to wait and never cancelled on a
/// write (when it fires it finds nothing waiting and ends, or re-arms for what waits now): no
/// timer work per batch. Used by a player on its own (`PlayerOutput`) and by the players of a
/// source together (`PlayerBatcher`).
final class MergedWriteFallback {
    private let loop: EventLoop
    private let delayMs: Int64
    private let write: () -> Void
    /// Wall-clock ms when the oldest unwritten message was queued (nil: nothing waits).
    private var waitingSinceMs: Int64?
    private var timer: TimerID?

    /// `write` is called when something waited `delayMs`.
    init(loop: EventLoop, delayMs: Int64, write: @escaping () -> Void) {
        self.loop = loop
        self.delayMs = delayMs
        self.write = write
    }

    deinit { if let t = timer { loop.cancel(t) } }

    /// A message was queued and not written.
    func waiting() {
        guard waitingSinceMs == nil else { return }
        waitingSinceMs = loop.now
        if timer == nil { arm(afterMs: delayMs) }
    }

    /// What waited was written.
    func wrote() { waitingSinceMs = nil }

    private func arm(afterMs delay: Int64) {
        timer = loop.schedule(afterMs: delay) { [weak self] in
            guard let self else { return }
            timer = nil
            guard let since = waitingSinceMs else { return }
            let left = since + delayMs - loop.now
            if left <= 0 { write() } else { arm(afterMs: left) }
        }
    }
}
