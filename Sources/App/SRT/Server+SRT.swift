import Protocol
import SRT
import System

extension Server {
    /// A connection libsrt completed on this worker's slot: counted like any client
    /// (`max_connections`), logged as SRS does, then its stream id decides publish or play.
    func acceptSRT(_ c: SRTConnection, port: Int) {
        guard admit(ip: c.peerHost, port: c.peerPort) else {
            c.close()
            return
        }
        let raw = c.streamID.isEmpty ? SRTStreamID.defaultWhenEmpty : c.streamID
        let id: SRTStreamID
        do {
            id = try SRTStreamID.parse(raw, defaultApp: config.srtServer.defaultApp)
        } catch {
            // The handshake refused these already; a config reload may have changed default_app.
            Log.warnRepeated("srt reject", "srt: reject streamid=\(raw): \(error)")
            c.close()
            connections.publishCount()
            return
        }
        let client = SRTClient(connection: c, id: id, localPort: port, services: srtServices)
        connections.add(client)
        Log.traceClient("SRT client", "SRT client ip=\(c.peerHost):\(c.peerPort), fd=\(c.socket)", cid: client.cid)
        Log.traceClient("srt streamid", "@srt, streamid=\(raw), stream_url=\(client.request.streamKey.url), vhost=\(client.request.vhost), "
                        + "app=\(client.request.app), stream=\(client.request.stream), param=\(client.request.param)", cid: client.cid)
        client.start()
    }
}

extension Server {
    /// Stops SRT here: the listener, and the clients, which share its UDP socket (libsrt closes
    /// it with the last of them). A reload that turns SRT off or moves its port does this; so
    /// does a hot upgrade retiring this worker: its slot socket now belongs to the new worker of
    /// the slot, and two processes must not read one socket (SRT clients reconnect, to it).
    func closeSRT() {
        srt.closeListeners()
        for c in connections.all where c is SRTClient { c.close() }
    }
}
