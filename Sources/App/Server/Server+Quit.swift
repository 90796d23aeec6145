import System

extension Server {
    /// Graceful quit (SIGQUIT, or SIGTERM with `force_grace_quit on`), as SRS: mark not ready,
    /// wait `grace_start_wait` (still accepting, so load balancers see /readyz fail first), close
    /// the listeners, wait for connections to end, dispose sources, wait `grace_final_wait`, done.
    /// Beyond SRS: players of streams that are no longer published are closed (they would wait
    /// forever), idle HTTP keep-alive connections are closed, and `grace_max_wait` bounds the wait.
    public func startGracefulQuit(done: @escaping () -> Void) {
        guard !isDraining else { return }
        isDraining = true
        let startMs = loop.now
        Log.trace("cleanup for quit signal fast=0, grace=1")
        Log.trace("start wait for \(config.graceStartWaitMs)ms")
        loop.schedule(afterMs: Int64(config.graceStartWaitMs)) { [unowned self] in
            closeListeners()
            Log.trace("listeners closed")
            waitForConnections(startMs: startMs, done: done)
        }
    }

    private func waitForConnections(startMs: Int64, done: @escaping () -> Void) {
        for c in connectionsList where c.isIdleForQuit { c.close() }
        let n = connectionCount
        if n > 0 {
            if let max = config.graceMaxWaitMs, max > 0, loop.now - startMs >= Int64(max) {
                Log.warn("grace_max_wait \(max)ms reached, close \(n) conns")
                closeAll()
            } else {
                Log.trace("wait for \(n) conns to quit")
            }
            loop.schedule(afterMs: 1000) { [unowned self] in waitForConnections(startMs: startMs, done: done) }
            return
        }
        flushHLS()
        sources.disposeAll()
        Log.trace("source disposed")
        Log.trace("final wait for \(config.graceFinalWaitMs)ms")
        loop.schedule(afterMs: Int64(config.graceFinalWaitMs)) {
            Log.trace("srs gracefully quit")
            done()
        }
    }
}
