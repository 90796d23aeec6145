import Core
import Glibc
import System

/// SRT slots (docs/srt.md): one SO_REUSEPORT UDP socket per worker slot, bound here and kept as
/// long as `srt_server` keeps its port. The kernel steers each connection's datagrams by a hash
/// of their 4-tuple over the group of sockets, so the group must not change while connections
/// live: a worker reads only its slot's socket, a respawned worker gets its predecessor's slot,
/// and a hot upgrade's new worker *i* takes slot *i* from old worker *i* (which closes its SRT
/// side when it retires).
extension Master {
    /// The slot sockets a config wants, keeping the count of the ones bound now (a change of
    /// `worker_processes` keeps the slots: a new count would move every connection).
    func srtSlotSpecs(for config: ServerConfig) -> [ListenerSpec] {
        let current = listeners.keys.filter { $0.srtSlot != nil && $0.address == config.srtServer.listen }.count
        return ListenerSpec.srtSlots(for: config, count: current > 0 ? current : config.workerProcesses.resolved)
    }

    /// A blocking, CLOEXEC UDP socket with SO_REUSEPORT (libsrt's receive thread blocks on it).
    func bindSRTSlot(_ spec: ListenerSpec) throws -> FileDescriptor {
        let fd = FileDescriptor(adopting: try UDPSocket.bind(host: spec.address.host, port: spec.address.port, reusePort: true))
        Log.trace("master listen at udp://\(spec.address) (srt slot \(spec.srtSlot ?? 0)), fd=\(fd)")
        return fd
    }

    /// The slot a new worker of `generation` gets among `specs` (default: the listeners bound):
    /// the lowest one no running worker of that generation holds (a respawn gets the dead
    /// worker's); nil when every slot is held or SRT is off.
    func freeSRTSlot(generation: Int, among specs: [ListenerSpec]? = nil) -> Int? {
        let slots = (specs ?? Array(listeners.keys)).compactMap(\.srtSlot).sorted()
        let held = Set(machine.workers.values.filter { $0.generation == generation && !$0.retiring }
            .compactMap { srtSlotOf[$0.pid] })
        return slots.first { !held.contains($0) }
    }

    /// A reload's slot of a running worker: the one it has, or (SRT just turned on) a free one.
    func srtSlot(reloading w: MasterStateMachine.Worker, among specs: [ListenerSpec]) -> Int? {
        if let slot = srtSlotOf[w.pid] { return slot }
        let slot = freeSRTSlot(generation: w.generation, among: specs)
        if let slot { srtSlotOf[w.pid] = slot }
        return slot
    }

    /// What a worker is given of `specs`: every TCP listener and its own SRT slot.
    static func listeners(_ specs: [ListenerSpec], forSlot slot: Int?) -> [ListenerSpec] {
        specs.filter { $0.srtSlot == nil || $0.srtSlot == slot }
    }
}
