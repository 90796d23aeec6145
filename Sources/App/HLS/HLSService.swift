import Core
import Protocol
import System

/// The HLS writers of a worker, one per stream it publishes with `hls { enabled on; }`: started
/// when a client publishes, detached when it stops (the writer keeps its files until
/// `hls_dispose`, and a new publish continues it with a discontinuity), changed by reloads.
final class HLSService {
    private let loop: EventLoop
    private var writers: [StreamKey: HLSWriter] = [:]
    /// Failed HLS writes (segments, playlists) on this worker.
    private(set) var writeErrorsTotal: UInt64 = 0
    /// A segment of a stream published by client `cid` was written and listed (on_hls).
    var onSegmentWritten: ((HLSWrittenSegment, _ cid: String) -> Void)?

    init(loop: EventLoop) { self.loop = loop }

    /// Starts writing `s` as HLS when its vhost asks for it (a writer left from an earlier
    /// publish, waiting for hls_dispose, continues with a discontinuity).
    func attach(_ s: LiveSource, vhost: VhostConfig?) {
        // HLS is the origin's job: a stream pulled by an edge (or relayed) is not segmented here.
        guard s.publisherKind == .client else { return }
        guard let vhost, vhost.hls.enabled else { return }
        let w: HLSWriter
        if let existing = writers[s.key] {
            w = existing
            w.update(config: vhost.hls)
        } else {
            w = HLSWriter(key: s.key, config: vhost.hls, loop: loop)
            w.onDisposed = { [weak self] in self?.writers.removeValue(forKey: s.key) }
            w.onWriteError = { [weak self] in self?.writeErrorsTotal += 1 }
            writers[s.key] = w
        }
        if let cid = s.publisherCID {
            w.onSegment = { [weak self] segment in self?.onSegmentWritten?(segment, cid) }
        }
        w.sourcePublished()
        s.addConsumer(w, now: loop.now)
    }

    /// Stops writing `s` as HLS (hls turned off by a reload); its files stay until hls_dispose.
    func detach(_ s: LiveSource) {
        guard let w = writers[s.key] else { return }
        s.removeConsumer(w, now: loop.now)
        w.sourceUnpublished()
    }

    /// The publisher of `s` left: the source already told the writer (it is a consumer); detach
    /// it so the source can be released.
    func unpublished(_ s: LiveSource) {
        if let w = writers[s.key] { s.removeConsumer(w, now: loop.now) }
    }

    /// A reload changed the HLS settings serving `s`, which a client publishes here.
    func reconfigure(_ s: LiveSource, from before: HLSConfig?, to after: HLSConfig?, vhost: VhostConfig?) {
        if let after, after.enabled {
            if let w = writers[s.key], before?.enabled == true {
                w.update(config: after)
            } else {
                attach(s, vhost: vhost)
            }
        } else {
            detach(s)
        }
    }

    /// Writes out the segments in progress (quit).
    func flush() { for w in writers.values { w.flush() } }
}
