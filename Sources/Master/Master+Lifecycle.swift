import Core
import Glibc
import System

extension Master {
    /// A worker exiting sooner than this after its start counts as a crash for the backoff.
    static let crashWindowMs: Int64 = 60_000
    /// Fast quit: workers still alive this long after SIGTERM get SIGKILL.
    static let fastQuitKillMs: Int64 = 5000

    func handleSignal(_ sig: Int32) {
        switch sig {
        case SIGCHLD:
            reapWorkers()
        case SIGQUIT:
            Log.trace("sig=\(sig), user start gracefully quit")
            gracefulQuit()
        case SIGTERM where config.forceGraceQuit:
            // K8s sends TERM; with force_grace_quit it means graceful, and a second TERM cannot cut it short.
            Log.trace("force gracefully quit, signo=\(sig)")
            gracefulQuit()
        case SIGTERM, SIGINT:
            Log.trace("sig=\(sig), user terminate program, fast quit")
            fastQuit()
        case SIGHUP:
            Log.trace("sig=\(sig), user reload config")
            reload()
        case SIGUSR1:
            Log.reopen()
            Log.trace("sig=\(sig), reopen log file")
            for w in workers.values { Spawn.kill(w.pid, SIGUSR1) }
        case SIGUSR2:
            Log.trace("sig=\(sig), user start hot upgrade")
            upgrade()
        case SIGWINCH:
            break
        default:
            break
        }
    }

    /// SIGQUIT (or TERM with force_grace_quit): every worker drains as SRS does; the master
    /// closes its copies of the listeners when the workers close theirs (after grace_start_wait),
    /// then exits when the last worker is gone.
    func gracefulQuit() {
        guard quitting == nil else { return }
        quitting = .graceful
        for w in workers.values {
            w.retiring = true
            Spawn.kill(w.pid, SIGQUIT)
        }
        // Ingests publish until the listeners close: then their players are let go like others'.
        loop.schedule(afterMs: Int64(config.graceStartWaitMs)) { [weak self] in
            self?.closeListeners()
            self?.stopIngests()
        }
        exitIfDone()
    }

    /// SIGTERM/SIGINT: workers close everything now; stragglers are killed.
    func fastQuit() {
        if quitting == .fast { return }
        quitting = .fast
        stopIngests()
        closeListeners()
        for w in workers.values {
            w.retiring = true
            Spawn.kill(w.pid, SIGTERM)
        }
        loop.schedule(afterMs: Self.fastQuitKillMs) { [weak self] in
            guard let self else { return }
            for w in workers.values {
                Log.warn("master: worker \(w.pid) still alive \(Self.fastQuitKillMs)ms after TERM, kill it")
                Spawn.kill(w.pid, SIGKILL)
            }
        }
        exitIfDone()
    }

    func closeListeners() {
        listeners.removeAll()
    }

    /// Ingests stop with the server; the master exits once they are gone too.
    private func stopIngests() {
        ingest.stopAll { [weak self] in self?.exitIfDone() }
    }

    private func exitIfDone() {
        guard quitting != nil, workers.isEmpty, ingest.isIdle else { return }
        Log.trace(quitting == .graceful ? "srs gracefully quit" : "srs fast quit")
        loop.stop()
    }

    func reapWorkers() {
        for exit in Spawn.reap() {
            guard let w = workers.removeValue(forKey: exit.pid) else {
                ingest.reaped(exit)
                continue
            }
            w.channel.close()
            // Its clients are gone with it: the server has room for them again.
            if let row = w.quotaRow, let table = connectionTable { ConnectionTable.releaseRow(row, in: table) }
            forgetStreams(of: w.pid)
            abandonGathers(of: w.pid)
            workerExited(w, exit)
        }
        exitIfDone()
    }

    /// The channel of a worker closed: it is exiting (SIGCHLD reaps it).
    func workerChannelClosed(_ w: Worker) {
        if !w.retiring && quitting == nil { Log.trace("master: worker \(w.pid) closed its channel") }
    }

    private func workerExited(_ w: Worker, _ exit: Spawn.Exit) {
        if upgradeWorkerExited(w.pid, exit) { return }
        if w.retiring || quitting != nil {
            Log.trace("master: worker \(w.pid) quit (\(exit))")
            return
        }
        if exit.code == WorkerProcess.fatalExitCode {
            Log.error("master: worker \(w.pid) exited with fatal code \(WorkerProcess.fatalExitCode), not respawned")
            if workers.values.allSatisfy({ $0.retiring }) {
                Log.error("master: no worker left, quit")
                quitting = .fast
                exitCode = 1
            }
            return
        }
        Log.warn("master: worker \(w.pid) died (\(exit)), respawn")
        let now = loop.now
        recentCrashes = recentCrashes.filter { now - $0 < Self.crashWindowMs } + [now]
        // The first crash is respawned at once; a worker that keeps dying waits longer each time.
        let delay = recentCrashes.count <= 1 ? 0 : min(5000, Int64(100) << min(recentCrashes.count - 2, 6))
        loop.schedule(afterMs: delay) { [weak self] in
            guard let self, quitting == nil else { return }
            do { try spawnWorker() } catch { Log.error("master: respawn failed: \(error)") }
        }
    }
}
