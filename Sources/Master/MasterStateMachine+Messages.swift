import Core
import Glibc
import Protocol
import System

extension MasterStateMachine {
    /// A message from worker `pid`. `masterPart` is the master's own part of a gather's answer
    /// (the ingests it runs, for `WorkerQuery.processes`).
    mutating func message(_ m: ControlMessage, from pid: pid_t, masterPart: JSONValue? = nil) -> [Action] {
        guard workers[pid] != nil else { return [] }
        switch m {
        case .ready(let relay):
            setRelay(relay, of: pid)
            return [.log(.trace, "master: worker \(pid) ready"), .send(.streams(Array(streams.values)), to: [pid])]
                + upgradeWorkerReady(pid)
        case .publish(let key):
            if let owner = streams[key], owner.worker != pid {
                return [.log(.warn, "master: \(key) is published on worker \(owner.worker), refuse worker \(pid)'s publisher"),
                        .send(.conflict(key: key), to: [pid])]
            }
            streams[key] = PublishedStream(key: key, worker: pid, relay: workers[pid]?.relay ?? "")
            return broadcastStreams()
        case .unpublish(let key):
            guard streams[key]?.worker == pid else { return [] }
            streams.removeValue(forKey: key)
            return broadcastStreams()
        case .reload:
            return [.log(.trace, "master: reload asked by worker \(pid) (raw api)"), .reload]
        case .gather(let id, let query):
            return startGather(asker: pid, id: id, query: query, masterPart: masterPart)
        case .collected(let id, let data):
            guard var g = gathers[id], g.waiting.remove(pid) != nil else { return [] }
            g.parts.append(data)
            gathers[id] = g
            return g.waiting.isEmpty ? finishGather(id) : []
        case .configure, .streams, .conflict, .collect, .gathered:
            return [.log(.warn, "master: unexpected message from worker \(pid)")]
        }
    }

    // MARK: - The registry of published streams

    /// The whole registry, to every worker that serves.
    func broadcastStreams() -> [Action] {
        [.send(.streams(Array(streams.values)), to: readyWorkers)]
    }

    /// Drops the streams of a worker that is gone.
    mutating func forgetStreams(of pid: pid_t) -> [Action] {
        let before = streams.count
        streams = streams.filter { $0.value.worker != pid }
        return streams.count != before ? broadcastStreams() : []
    }

    // MARK: - API gathers

    private mutating func startGather(asker: pid_t, id: Int, query: WorkerQuery, masterPart: JSONValue?) -> [Action] {
        let gid = nextGatherID
        nextGatherID += 1
        let targets = readyWorkers
        gathers[gid] = Gather(asker: asker, askerID: id, waiting: Set(targets), parts: masterPart.map { [$0] } ?? [])
        var out: [Action] = [.schedule(.gatherDeadline(id: gid), afterMs: Self.gatherTimeoutMs),
                             .send(.collect(id: gid, query: query), to: targets)]
        if targets.isEmpty { out += finishGather(gid) }
        return out
    }

    /// Answers the asking worker with the parts it has.
    mutating func finishGather(_ gid: Int) -> [Action] {
        guard let g = gathers.removeValue(forKey: gid), workers[g.asker] != nil else { return [] }
        return [.send(.gathered(id: g.askerID, parts: g.parts), to: [g.asker])]
    }

    /// A worker that is gone answers no gather: stop waiting for it.
    mutating func abandonGathers(of pid: pid_t) -> [Action] {
        var out: [Action] = []
        for (gid, var g) in gathers where g.waiting.remove(pid) != nil {
            gathers[gid] = g
            if g.waiting.isEmpty { out += finishGather(gid) }
        }
        return out
    }
}
