import Core
import Glibc
import Protocol
import System

extension Master {
    /// New workers must report ready within this, or the upgrade rolls back.
    static let upgradeTimeoutMs: Int64 = 15_000

    /// A hot upgrade in progress: the new generation's workers, until they are all ready.
    struct Upgrade {
        var newWorkers: Set<pid_t>
        var timer: TimerID
    }

    /// SIGUSR2: start workers from the binary now on disk; once they all serve, the old ones stop
    /// accepting and drain (their players and publishers go on until they end; players of their
    /// streams on new workers are fed through the relay), and the master re-executes itself in
    /// place to run the new version too. If the new workers fail, the old ones never stopped:
    /// nothing is dropped, and the failure is logged.
    func upgrade() {
        guard quitting == nil else { return }
        guard upgrading == nil else {
            Log.warn("upgrade: already in progress")
            return
        }
        generation += 1
        var started: Set<pid_t> = []
        for _ in 0..<workerCount {
            do {
                started.insert(try spawnWorker().pid)
            } catch {
                upgrading = Upgrade(newWorkers: started, timer: loop.schedule(afterMs: 0) {})
                rollBack("cannot start \(executable): \(error)")
                return
            }
        }
        let timer = loop.schedule(afterMs: Self.upgradeTimeoutMs) { [weak self] in
            self?.rollBack("new workers not ready within \(Self.upgradeTimeoutMs)ms")
        }
        upgrading = Upgrade(newWorkers: started, timer: timer)
        Log.trace("upgrade: started \(started.count) workers of generation \(generation) from \(executable)")
    }

    /// A worker reported ready: when it completes an upgrade's new generation, retire the old one.
    func workerReady(_ w: Worker) {
        guard let u = upgrading, u.newWorkers.contains(w.pid) else { return }
        guard u.newWorkers.allSatisfy({ workers[$0]?.isReady == true }) else { return }
        loop.cancel(u.timer)
        upgrading = nil
        let old = workers.values.filter { $0.generation < generation && !$0.retiring }
        for o in old {
            o.retiring = true
            Spawn.kill(o.pid, SIGWINCH)
        }
        Log.trace("upgrade: generation \(generation) ready, \(old.count) old workers drain")
        reexec()
    }

    /// A new worker exited during the upgrade.
    func upgradeWorkerExited(_ pid: pid_t, _ exit: Spawn.Exit) -> Bool {
        guard let u = upgrading, u.newWorkers.contains(pid) else { return false }
        rollBack("new worker \(pid) exited (\(exit))")
        return true
    }

    private func rollBack(_ reason: String) {
        guard let u = upgrading else { return }
        upgrading = nil
        loop.cancel(u.timer)
        for pid in u.newWorkers {
            guard let w = workers[pid] else { continue }
            w.retiring = true
            Spawn.kill(pid, SIGTERM)
        }
        Log.error("upgrade failed, rolled back, the running workers keep serving: \(reason)")
    }

    // MARK: - Re-executing the master

    /// Replaces this process image with the binary on disk (same pid), keeping the listeners and
    /// the workers' channels open, so the master runs the new version too. On failure the
    /// running master goes on.
    func reexec() {
        // These fds survive the exec: the new image adopts them from the state.
        func inherit(_ on: Bool) {
            for fd in listeners.values { fd.setInherited(on) }
            for w in workers.values { w.channel.setInherited(on) }
            connectionTable?.fd?.setInherited(on)
        }
        inherit(true)
        var env = environment
        env[MasterState.environmentKey] = state().encode()
        Log.trace("upgrade: master re-executes \(executable)")
        let err = Spawn.exec(path: executable, arguments: arguments, environment: env)
        inherit(false)
        Log.error("upgrade: master re-exec failed (\(err)); the old master keeps running the new workers")
    }

    /// What the re-executed master needs to carry on.
    func state() -> JSONValue {
        ["generation": .int(Int64(generation)), "config": .string(configText),
         "config_path": configPath.map { .string($0) } ?? .null,
         "server": .string(identity.serverID), "service": .string(identity.serviceID),
         "listeners": .array(listeners.map { spec, fd in ["spec": spec.json, "fd": .int(Int64(fd.rawValue))] }),
         "connection_table": connectionTable?.fd.map { .int(Int64($0.rawValue)) } ?? .null,
         "workers": .array(workers.values.map { w in
             ["pid": .int(Int64(w.pid)), "fd": .int(Int64(w.channel.inheritedFD)), "generation": .int(Int64(w.generation)),
              "relay": w.relay.map { .string($0) } ?? .null, "retiring": .bool(w.retiring),
              "quota_row": w.quotaRow.map { .int(Int64($0)) } ?? .null]
         }),
         "streams": .array(streams.values.map(\.json)), "ingests": ingest.state]
    }
}
