import Core
import Glibc
import Protocol
import System

/// The master's state carried across its re-exec (hot upgrade), as JSON in an environment
/// variable: the listeners and worker channels (their fds stay open across exec), the registry,
/// the config the workers run, and who the server is.
struct ReexecState {
    static let environmentKey = "SWIFTSRS_MASTER_STATE"

    struct WorkerEntry {
        var pid: pid_t
        var fd: Int32
        var generation: Int
        var relay: String?
        var retiring: Bool
        var quotaRow: Int?
        /// Its SRT slot (see `Master+SRT.swift`).
        var srtSlot: Int? = nil
    }

    var generation: Int
    var configText: String
    var configPath: String?
    var serverID: String
    var serviceID: String
    var listeners: [(spec: ListenerSpec, fd: Int32)]
    /// The shared connection table's memfd (nil from a master that had none).
    var connectionTable: Int32?
    var workers: [WorkerEntry]
    var streams: [PublishedStream]
    /// The ingests' ffmpegs alive (see `IngestSupervisor.state`).
    var ingests: JSONValue?
    /// The reload and upgrade counters (absent from a master before the exporter).
    var counters: JSONValue?

    init?(json j: JSONValue) {
        guard let generation = j["generation"]?.intValue, let configText = j["config"]?.stringValue,
              let serverID = j["server"]?.stringValue, let serviceID = j["service"]?.stringValue,
              let listeners = j["listeners"]?.arrayValue, let workers = j["workers"]?.arrayValue else { return nil }
        self.generation = Int(generation)
        self.configText = configText
        self.configPath = j["config_path"]?.stringValue
        self.serverID = serverID
        self.serviceID = serviceID
        self.listeners = listeners.compactMap { l in
            guard let spec = l["spec"].flatMap(ListenerSpec.init(json:)), let fd = l["fd"]?.intValue else { return nil }
            return (spec, Int32(truncatingIfNeeded: fd))
        }
        self.workers = workers.compactMap { w in
            guard let pid = w["pid"]?.intValue, let fd = w["fd"]?.intValue, let g = w["generation"]?.intValue else { return nil }
            return WorkerEntry(pid: pid_t(truncatingIfNeeded: pid), fd: Int32(truncatingIfNeeded: fd), generation: Int(g),
                               relay: w["relay"]?.stringValue, retiring: w["retiring"]?.boolValue ?? false,
                               quotaRow: w["quota_row"]?.intValue.map { Int(truncatingIfNeeded: $0) },
                               srtSlot: w["srt_slot"]?.intValue.map { Int(truncatingIfNeeded: $0) })
        }
        self.connectionTable = j["connection_table"]?.intValue.map { Int32(truncatingIfNeeded: $0) }
        self.streams = (j["streams"]?.arrayValue ?? []).compactMap(PublishedStream.init(json:))
        self.ingests = j["ingests"]
        self.counters = j["counters"]
    }
}

extension Master {
    /// The master after its re-exec: adopts the listeners and workers of the one before.
    convenience init(resuming s: ReexecState, environment: [String: String]) throws {
        var env = environment
        env.removeValue(forKey: ReexecState.environmentKey)
        let loaded = try ConfigLoader.parse(s.configText, file: s.configPath ?? "env", environment: env)
        try self.init(config: loaded.config, directives: loaded.directives, configPath: s.configPath, environment: env,
                      identity: ServerIdentity(serverID: s.serverID, serviceID: s.serviceID, pid: getpid()),
                      generation: s.generation)
        resumed = true
        counters = MasterCounters(json: s.counters)
        machine.upgradeFailures = Int(s.counters?["upgrade_failures"]?.intValue ?? 0)
        for (spec, raw) in s.listeners {
            let fd = FileDescriptor(adopting: raw)
            fd.setInherited(false)
            listeners[spec] = fd
        }
        if let raw = s.connectionTable {
            let fd = FileDescriptor(adopting: raw)
            fd.setInherited(false)
            do {
                connectionTable = try SharedCounters(mapping: fd, keepFD: true)
            } catch {
                // Workers keep their own mappings; new ones get a new table (run() makes one).
                Log.error("master: cannot map the connection table after re-exec: \(error)")
            }
        }
        for e in s.workers {
            let fd = FileDescriptor(adopting: e.fd)
            fd.setInherited(false)
            _ = try adopt(pid: e.pid, channel: fd)
            var w = MasterStateMachine.Worker(pid: e.pid, generation: e.generation, startedMs: loop.now)
            w.relay = e.relay
            w.retiring = e.retiring
            // Rows only mean something in the table they were taken from.
            if connectionTable != nil, s.connectionTable != nil { w.quotaRow = e.quotaRow }
            if let slot = e.srtSlot { srtSlotOf[e.pid] = slot }
            machine.workerSpawned(w, for: nil)
        }
        for st in s.streams { machine.streams[st.key] = st }
        ingest.adopt(s.ingests, config: config)
    }
}
