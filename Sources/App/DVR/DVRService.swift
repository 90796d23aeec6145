import Core
import Kernel
import Protocol
import System

/// The recordings of a worker: one `DVRWriter` per stream a client publishes here whose vhost
/// has `dvr { enabled on; }` and whose `dvr_apply` names it. Only the worker holding the
/// publisher records (players elsewhere pull relays, edges pull copies): a stream is recorded
/// once with N workers. Files are finished when the publisher leaves (which is also how an old
/// worker ends them in a hot upgrade), when a reload turns DVR off or changes it, and at quit.
final class DVRService {
    private let loop: EventLoop
    private var writers: [StreamKey: (writer: DVRWriter, source: LiveSource)] = [:]
    /// A file of the stream published by client `cid` is complete (on_dvr).
    var onFileClosed: ((_ path: String, _ cid: String) -> Void)?

    init(loop: EventLoop) { self.loop = loop }

    /// A client published `s` (`cid`): recording starts if the vhost asks for it.
    func published(_ s: LiveSource, cid: String, vhost: VhostConfig?, utcTime: Bool) {
        stop(s)
        guard let vhost, vhost.dvrEnabled, vhost.dvr.apply.matches(app: s.app, stream: s.stream) else { return }
        let w = DVRWriter(key: s.key, config: vhost.dvr, utcTime: utcTime, cid: cid)
        w.onFileClosed = { [weak self] path in self?.onFileClosed?(path, cid) }
        writers[s.key] = (w, s)
        Log.traceClient("dvr start", "dvr: record \(s.key), plan=\(vhost.dvr.plan), path=\(vhost.dvr.path)", cid: cid)
        // At publish the source holds nothing yet; after a reload its cached metadata, sequence
        // headers and GOP (from a keyframe) start the file.
        s.addConsumer(w, now: loop.now)
    }

    /// The publisher of `s` left (the writer finished its file when the source told it), or DVR
    /// stops for it: the file in progress is finished.
    func stop(_ s: LiveSource) {
        guard let (w, source) = writers.removeValue(forKey: s.key) else { return }
        source.removeConsumer(w, now: loop.now)
        w.finish()
    }

    /// A reload: recordings whose vhost turned DVR off, or changed its settings, finish their
    /// file; those still enabled go on in a new file with the new settings (SRS's
    /// `on_reload_vhost_dvr`). `dvr_apply` applies to the next publish (SRS does not reload it).
    func reload(_ streams: [(source: LiveSource, cid: String)], from old: ServerConfig, to new: ServerConfig) {
        for (s, cid) in streams {
            let before = old.vhost(s.vhost)
            let after = new.vhost(s.vhost)
            let was = before.map { $0.dvrEnabled } ?? false
            let now = after.map { $0.dvrEnabled } ?? false
            var beforeDVR = before?.dvr
            beforeDVR?.apply = after?.dvr.apply ?? .all
            let recording = writers[s.key] != nil
            if was == now && beforeDVR == after?.dvr && old.utcTime == new.utcTime { continue }
            if recording {
                Log.traceClient("dvr reload", "dvr: reload \(s.key): " + (now ? "settings changed, next file" : "disabled, finish"), cid: cid)
                stop(s)
            }
            guard let after, now, recording || after.dvr.apply.matches(app: s.app, stream: s.stream) else { continue }
            published(s, cid: cid, vhost: after, utcTime: new.utcTime)
        }
    }

    /// The file a stream is being recorded to (temporary name), for the API.
    func currentFile(_ key: StreamKey) -> String? { writers[key]?.writer.currentFile?.temporaryPath }
}
