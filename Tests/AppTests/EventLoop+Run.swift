import System

extension EventLoop {
    /// Runs the loop until `done()` holds or `timeoutMs` passed; false on timeout.
    func run(timeoutMs: Int64, until done: @escaping () -> Bool) -> Bool {
        var ok = false
        let check = repeating(everyMs: 10) { [weak self] in
            if done() { ok = true; self?.stop() }
        }
        let guardTimer = schedule(afterMs: timeoutMs) { [weak self] in self?.stop() }
        run()
        check.cancel()
        cancel(guardTimer)
        return ok
    }
}
