import Core
import Glibc
import System

extension Master {
    /// SIGHUP (or a config file change): parse the file again; an invalid config is logged and the
    /// running one stays. A valid one goes to every worker, which applies it live; the master binds
    /// the listeners that are new and closes the ones that went (unchanged ones keep their sockets).
    func reload() {
        guard machine.quitting == nil else { return }
        guard let path = configPath else {
            Log.warn("reload: the config comes from the environment (-e), nothing to reload")
            return
        }
        let loaded: ConfigLoadResult
        do {
            loaded = try ConfigLoader.load(path: path, environment: environment)
        } catch {
            Log.error("reload: invalid config, keep the running one: \(error)")
            counters.reloadFailures += 1
            return
        }
        for w in loaded.warnings { Log.warn(w) }
        var new = loaded.config
        // As SRS, these apply at start only.
        new.daemon = config.daemon
        new.pidFile = config.pidFile
        if loaded.config.daemon != config.daemon || loaded.config.pidFile != config.pidFile {
            Log.warn("reload: daemon and pid apply at start only, ignored")
        }
        guard new != config else {
            Log.trace("reload: config unchanged")
            counters.reloads += 1
            return
        }
        if let why = config.reloadRefusal(to: new) {
            Log.error("reload: \(why); keep the running config")
            counters.reloadFailures += 1
            return
        }
        // New listeners close with `bound` if the reload goes no further.
        var bound: [ListenerSpec: FileDescriptor] = [:]
        for spec in ListenerSpec.all(for: new) + srtSlotSpecs(for: new) {
            if let fd = listeners[spec] {
                bound[spec] = fd
                continue
            }
            do {
                bound[spec] = try bind(spec)
            } catch {
                Log.error("reload: cannot listen at \(spec.address): \(error); keep the running config")
                counters.reloadFailures += 1
                return
            }
        }
        let old = config
        let changes = old.changes(to: new)
        if changes.log {
            do { try new.applyLog(previous: old) } catch { Log.error("reload: cannot open log file \(new.logFile): \(error)") }
        }
        config = new
        configText = ConfigDirective.render(loaded.directives)
        // A worker still starting gets it too: it comes after its first configuration. Each
        // gets the TCP listeners and its SRT slot.
        for w in machine.activeWorkers {
            let specs = Self.listeners(Array(bound.keys), forSlot: srtSlot(reloading: w, among: Array(bound.keys)))
            let message = ControlMessage.configure(config: configText, listeners: specs, reload: true, identity: identity).encode()
            channels[w.pid]?.send(message, fds: specs.compactMap { bound[$0] })
        }
        // The listeners that went close here (or once the messages above are written).
        listeners = bound
        for line in changes.logLines { Log.trace(line) }
        machine.settings = .init(new)
        // Also when worker_processes did not change: a pool short of a worker that exited
        // fatally is filled again.
        drive { $0.resize() }
        ingest.apply(new)
        counters.reloads += 1
        Log.trace("reload config success.")
    }
}
