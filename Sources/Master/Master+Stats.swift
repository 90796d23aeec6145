import Core
import Glibc
import Protocol
import System

/// The master's counters (reloads, upgrades), kept across its re-exec.
struct MasterCounters: Equatable {
    var reloads = 0
    var reloadFailures = 0

    init() {}

    init(json j: JSONValue?) {
        reloads = Int(j?["reloads"]?.intValue ?? 0)
        reloadFailures = Int(j?["reload_failures"]?.intValue ?? 0)
    }
}

extension Master {
    /// The master's part of the API's summaries and of the exporter's metrics: its generation,
    /// state and counters, and every worker it runs (those not ready yet cannot answer for
    /// themselves). Marked `"master"` so the asking worker tells it from the workers' parts.
    var statsPart: JSONValue {
        let now = loop.now
        let workers: [JSONValue] = machine.workers.values.sorted { $0.pid < $1.pid }.map { w in
            ["pid": .int(Int64(w.pid)), "index": .int(Int64(w.quotaRow ?? Int(w.pid))), "generation": .int(Int64(w.generation)),
             "state": .string(w.retiring ? "draining" : w.isReady ? "ready" : "starting"),
             "uptime": .int(max(0, now - w.startedMs) / 1000)]
        }
        // Upgrades started, less those that failed and the one under way.
        let upgrades = machine.generation - 1 - machine.upgradeFailures - (machine.upgrade == nil ? 0 : 1)
        let state = machine.quitting != nil ? "draining" : machine.upgrade != nil ? "upgrading" : "ready"
        return ["master": ["pid": .int(Int64(getpid())), "generation": .int(Int64(machine.generation)), "state": .string(state),
                           "upgrades": .int(Int64(max(0, upgrades))), "upgrade_failures": .int(Int64(machine.upgradeFailures)),
                           "reloads": .int(Int64(counters.reloads)), "reload_failures": .int(Int64(counters.reloadFailures)),
                           "workers": .array(workers)]]
    }
}
