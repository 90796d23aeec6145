import Core
import Protocol
import System

/// A client's accepted publish or play, remembered for the event that ends it.
struct HookStream {
    var action: SecurityRules.Action
    var client: HookClient
}

/// The informational events, sent when what they report happens, with the hooks the vhost has
/// at that moment (a reload applies to the next event). Connections call these at a few points
/// (see `RTMPConnection+Hooks.swift`, `HTTPService+Hooks.swift`).
extension HookService {
    /// The hooks of `vhost` now (nil: no such vhost).
    private func hooks(_ vhost: String) -> HooksConfig? { config().vhost(vhost)?.hooks }

    /// A client's publish or play was accepted: its end sends on_unpublish or on_stop.
    func streamStarted(_ action: SecurityRules.Action, client: HookClient) {
        streams[client.clientID] = HookStream(action: action, client: client)
    }

    /// The client's publish or play ended (unpublish, stop, close): on_unpublish or on_stop.
    func streamEnded(cid: String) {
        guard let s = streams.removeValue(forKey: cid), let h = hooks(s.client.vhost) else { return }
        let event: HookEvent = s.action == .publish ? .unpublish : .stop
        inform(event, urls: h.urls(event), client: s.client, timeoutMs: h.timeoutMs)
    }

    /// An RTMP connection whose `connect` was accepted closed: on_close (after the end of its
    /// stream, which the connection reports first).
    func rtmpClosed(client: HookClient, sendBytes: UInt64, recvBytes: UInt64) {
        guard let h = hooks(client.vhost) else { return }
        let event = HookEvent.close(sendBytes: sendBytes, recvBytes: recvBytes)
        inform(event, urls: h.urls(event), client: client, timeoutMs: h.timeoutMs)
    }

    /// The publisher `cid` of a stream whose HLS writer closed `segment`: on_hls, then each
    /// on_hls_notify, after the publisher's earlier events.
    func hlsSegmentWritten(_ segment: HLSWrittenSegment, publisher cid: String) {
        guard let s = streams[cid], s.action == .publish, let h = hooks(s.client.vhost), h.enabled else { return }
        let event = HookEvent.hls(HLSSegmentHook(durationMs: segment.durationMs, cwd: cwd, file: segment.path, uri: segment.uri,
                                                 m3u8: segment.playlistPath, m3u8URL: segment.playlistURL, sequence: segment.sequence))
        inform(event, urls: h.urls(event), client: s.client, timeoutMs: h.timeoutMs)
        notifyHLS(templates: h.notifyTemplates, client: s.client, tsURL: segment.uri, readBytes: h.notifyReadBytes, timeoutMs: h.timeoutMs)
    }

    /// For the DVR wiring: the recorder of the stream published by client `cid` closed `file`
    /// (the path as configured, e.g. `./objs/nginx/html/live/s.1700000000000.flv`): on_dvr,
    /// after the publisher's earlier events. Call it before the publish ends (`streamEnded`), as
    /// SRS closes the file before on_unpublish; a call after that finds no publisher and is
    /// dropped (logged).
    func dvrFileClosed(_ file: String, publisher cid: String) {
        guard let s = streams[cid], s.action == .publish else {
            Log.warnRepeated("hook dropped", "http hooks: on_dvr for \(file): client \(cid) publishes nothing now", cid: cid)
            return
        }
        guard let h = hooks(s.client.vhost) else { return }
        let event = HookEvent.dvr(cwd: cwd, file: file)
        inform(event, urls: h.urls(event), client: s.client, timeoutMs: h.timeoutMs)
    }
}
