import Core
import System

extension Server {
    /// Graceful quit (SIGQUIT, or SIGTERM with `force_grace_quit on`), as SRS: mark not ready,
    /// wait `grace_start_wait` (still accepting, so load balancers see /readyz fail first), close
    /// the listeners, wait for connections to end, dispose sources, wait `grace_final_wait`, done.
    /// Beyond SRS: players of streams that are no longer published are closed (they would wait
    /// forever), idle HTTP keep-alive connections are closed, and `grace_max_wait` bounds the wait.
    ///
    /// A worker retired by a hot upgrade (`retire: true`) skips the waits meant for load
    /// balancers: it stops accepting at once (the new workers accept), serves its connections
    /// until they end, and exits.
    public func startGracefulQuit(retire: Bool = false, done: @escaping () -> Void) {
        guard !status.isDraining else { return }
        status.isDraining = true
        // Retired: the new workers take over the edge pulls they relayed from here. (In a
        // graceful quit every worker drains, so the relays stay until their players leave.)
        if retire { cluster.releaseClaims() }
        let startMs = loop.now
        let startWait = retire ? 0 : config.graceStartWaitMs
        Log.trace(retire ? "retire for upgrade, fast=0, grace=1" : "cleanup for quit signal fast=0, grace=1")
        Log.trace("start wait for \(startWait)ms")
        loop.schedule(afterMs: Int64(startWait)) { [unowned self] in
            closeListeners()
            Log.trace("listeners closed")
            waitForConnections(startMs: startMs, finalWaitMs: retire ? 0 : config.graceFinalWaitMs, done: done)
        }
    }

    private func waitForConnections(startMs: Int64, finalWaitMs: Int, done: @escaping () -> Void) {
        // Whichever comes first (the timer, or the last connection leaving) runs this once.
        quitPoll += 1
        for c in connections.all where c.isIdleForQuit { c.close() }
        let n = connections.count
        if n > 0 {
            if let max = config.graceMaxWaitMs, max > 0, loop.now - startMs >= Int64(max) {
                Log.warn("grace_max_wait \(max)ms reached, close \(n) conns")
                closeAll()
            } else {
                Log.trace("wait for \(n) conns to quit")
            }
            // Look again in a second, or as soon as the last connection is gone.
            let token = quitPoll
            let again = { [unowned self] in
                guard token == quitPoll else { return }
                waitForConnections(startMs: startMs, finalWaitMs: finalWaitMs, done: done)
            }
            connections.onEmpty = again
            loop.schedule(afterMs: 1000, again)
            return
        }
        connections.onEmpty = nil
        hls.flush()
        sources.disposeAll()
        Log.trace("source disposed")
        Log.trace("final wait for \(finalWaitMs)ms")
        loop.schedule(afterMs: Int64(finalWaitMs)) {
            Log.trace("srs gracefully quit")
            done()
        }
    }
}
