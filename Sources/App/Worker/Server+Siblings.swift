import Core
import Protocol
import System

extension Server {
    /// Serves sibling workers' pulls on this worker's relay socket (a unix socket only the
    /// master's workers know): plain RTMP, marked internal so it is neither counted as a client
    /// nor relayed again.
    func startRelayListener(fd: FileDescriptor, name: String) throws -> TCPListener {
        let l = try TCPListener(fd: fd, host: name, port: 0, loop: loop)
        l.onAccept = { [unowned self] fd, _, _ in acceptRTMP(fd: fd, ip: "relay", port: 0, relay: true) }
        return l
    }

    /// The master's registry of streams changed: relays and edge pulls follow it.
    func siblingsChanged() {
        relays.streamsChanged()
        cluster.streamsChanged()
    }

    /// The master says another worker published `key` first: our publisher of it must go (or,
    /// for an edge stream we claimed, we take it from that worker).
    func refusePublisher(key: StreamKey) {
        if cluster.claimRefused(key) { return }
        guard let s = sources.sources[key], let cid = s.publisherCID, let c = connections.connection(cid) else { return }
        Log.warnRepeated("reject publish", "publish \(key) refused: already published on another worker", cid: cid)
        c.close()
    }

    /// This worker's part of an API answer (see `HTTPAPI+Gather.swift`).
    func collect(_ query: WorkerQuery) -> JSONValue {
        api.collect(query)
    }
}
