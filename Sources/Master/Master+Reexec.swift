import Core
import Glibc
import Protocol
import System

extension Master {
    /// Replaces this process image with the binary on disk (same pid), keeping the listeners and
    /// the workers' channels open, so the master runs the new version too (the last step of a
    /// hot upgrade). On failure the running master goes on.
    func reexec() {
        // These fds survive the exec: the new image adopts them from the state.
        func inherit(_ on: Bool) {
            for fd in listeners.values { fd.setInherited(on) }
            for ch in channels.values { ch.setInherited(on) }
            connectionTable?.fd?.setInherited(on)
        }
        inherit(true)
        var env = environment
        env[ReexecState.environmentKey] = state().encode()
        Log.trace("upgrade: master re-executes \(executable)")
        let err = Spawn.exec(path: executable, arguments: arguments, environment: env)
        inherit(false)
        Log.error("upgrade: master re-exec failed (\(err)); the old master keeps running the new workers")
    }

    /// What the re-executed master needs to carry on.
    func state() -> JSONValue {
        ["generation": .int(Int64(machine.generation)), "config": .string(configText),
         "config_path": configPath.map { .string($0) } ?? .null,
         "server": .string(identity.serverID), "service": .string(identity.serviceID),
         "listeners": .array(listeners.map { spec, fd in ["spec": spec.json, "fd": .int(Int64(fd.rawValue))] }),
         "connection_table": connectionTable?.fd.map { .int(Int64($0.rawValue)) } ?? .null,
         "workers": .array(machine.workers.values.compactMap { w in
             guard let channel = channels[w.pid] else { return nil }
             return ["pid": .int(Int64(w.pid)), "fd": .int(Int64(channel.inheritedFD)), "generation": .int(Int64(w.generation)),
                     "relay": w.relay.map { .string($0) } ?? .null, "retiring": .bool(w.retiring),
                     "quota_row": w.quotaRow.map { .int(Int64($0)) } ?? .null,
                     "srt_slot": srtSlotOf[w.pid].map { .int(Int64($0)) } ?? .null]
         }),
         "streams": .array(machine.streams.values.map(\.json)), "ingests": ingest.state,
         "counters": ["reloads": .int(Int64(counters.reloads)), "reload_failures": .int(Int64(counters.reloadFailures)),
                      "upgrade_failures": .int(Int64(machine.upgradeFailures))]]
    }
}
