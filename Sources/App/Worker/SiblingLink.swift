import Core
import Glibc
import Protocol
import System

/// A worker's link to its siblings, through the master: which streams are published on which
/// worker (so a player here can be fed from there), publish claims, and API questions answered
/// by every worker.
public final class SiblingLink {
    /// Sends to the master; nil when this server runs without one (unit tests).
    var send: ((ControlMessage) -> Void)?
    /// Every stream published on any worker, as the master last told us.
    var streams: [PublishedStream] = [] {
        didSet { onStreamsChanged?() }
    }
    /// Called after `streams` changed.
    var onStreamsChanged: (() -> Void)?
    private var nextGatherID = 1
    private var pending: [Int: (timer: TimerID, done: ([JSONValue]) -> Void)] = [:]
    /// A worker that asked waits this long for the master's answer, then answers alone.
    static let gatherTimeoutMs: Int64 = 2000

    /// Where `key` is published, if on a worker.
    func owner(of key: StreamKey) -> PublishedStream? { streams.first { $0.key == key } }

    /// This worker's pid, as `PublishedStream.worker` names it.
    let me = getpid()

    /// Whether a master links this worker to siblings (not in a server run alone, as in tests).
    var linked: Bool { send != nil }

    func published(_ key: StreamKey) { send?(.publish(key: key)) }
    func unpublished(_ key: StreamKey) { send?(.unpublish(key: key)) }

    /// Asks every worker (this one included) about `query`; `done` gets their answers. Without a
    /// master, or when it does not answer in time, only `local` answers.
    func gather(_ query: WorkerQuery, loop: EventLoop, local: @escaping () -> JSONValue, done: @escaping ([JSONValue]) -> Void) {
        guard let send else {
            done([local()])
            return
        }
        let id = nextGatherID
        nextGatherID += 1
        let timer = loop.schedule(afterMs: Self.gatherTimeoutMs) { [weak self] in
            guard self?.pending.removeValue(forKey: id) != nil else { return }
            Log.warn("api: no answer from the master in \(Self.gatherTimeoutMs)ms, answering for this worker only")
            done([local()])
        }
        pending[id] = (timer, done)
        send(.gather(id: id, query: query))
    }

    func gathered(id: Int, parts: [JSONValue], loop: EventLoop) {
        guard let p = pending.removeValue(forKey: id) else { return }
        loop.cancel(p.timer)
        p.done(parts)
    }
}
