import Core
import Glibc
import Protocol
import System

extension Master {
    /// How long a gather waits for slow workers before answering with what it has.
    static let gatherTimeoutMs: Int64 = 1000

    func handle(_ m: ControlMessage, from w: Worker) {
        switch m {
        case .ready(let relay):
            w.relay = relay
            Log.trace("master: worker \(w.pid) ready")
            w.channel.send(ControlMessage.streams(Array(streams.values)).encode())
            workerReady(w)
        case .publish(let key):
            if let owner = streams[key], owner.worker != w.pid {
                Log.warn("master: \(key) is published on worker \(owner.worker), refuse worker \(w.pid)'s publisher")
                w.channel.send(ControlMessage.conflict(key: key).encode())
                return
            }
            streams[key] = PublishedStream(key: key, worker: w.pid, relay: w.relay ?? "")
            broadcastStreams()
        case .unpublish(let key):
            guard streams[key]?.worker == w.pid else { return }
            streams.removeValue(forKey: key)
            broadcastStreams()
        case .reload:
            Log.trace("master: reload asked by worker \(w.pid) (raw api)")
            reload()
        case .gather(let id, let query):
            startGather(asker: w, id: id, query: query)
        case .collected(let id, let data):
            guard var g = gathers[id], g.waiting.remove(w.pid) != nil else { return }
            g.parts.append(data)
            gathers[id] = g
            if g.waiting.isEmpty { finishGather(id) }
        case .configure, .streams, .conflict, .collect, .gathered:
            Log.warn("master: unexpected message from worker \(w.pid)")
        }
    }

    func broadcastStreams() {
        let bytes = ControlMessage.streams(Array(streams.values)).encode()
        for w in workers.values where w.isReady { w.channel.send(bytes) }
    }

    /// Drops the streams of a worker that is gone.
    func forgetStreams(of pid: pid_t) {
        let before = streams.count
        streams = streams.filter { $0.value.worker != pid }
        if streams.count != before { broadcastStreams() }
    }

    private func startGather(asker: Worker, id: Int, query: WorkerQuery) {
        let gid = nextGatherID
        nextGatherID += 1
        let targets = workers.values.filter { $0.isReady }
        let timer = loop.schedule(afterMs: Self.gatherTimeoutMs) { [weak self] in
            guard let self, let g = gathers[gid] else { return }
            Log.warn("master: api gather timed out waiting for workers \(g.waiting.sorted())")
            finishGather(gid)
        }
        gathers[gid] = Gather(asker: asker.pid, askerID: id, waiting: Set(targets.map(\.pid)),
                              // The master answers for what it runs itself: the ingests.
                              parts: query == .processes ? [ingest.json] : [], timer: timer)
        let bytes = ControlMessage.collect(id: gid, query: query).encode()
        for w in targets { w.channel.send(bytes) }
        if targets.isEmpty { finishGather(gid) }
    }

    func finishGather(_ gid: Int) {
        guard let g = gathers.removeValue(forKey: gid) else { return }
        loop.cancel(g.timer)
        workers[g.asker]?.channel.send(ControlMessage.gathered(id: g.askerID, parts: g.parts).encode())
    }

    /// A worker that is gone answers no gather: stop waiting for it.
    func abandonGathers(of pid: pid_t) {
        for (gid, var g) in gathers where g.waiting.remove(pid) != nil {
            gathers[gid] = g
            if g.waiting.isEmpty { finishGather(gid) }
        }
    }
}
