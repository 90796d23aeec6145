import Core
import Kernel
import Protocol
import System

/// What a client may do: the decisions about `connect`, `publish` and `play` (the session does
/// the protocol and writes SRS's answers).
extension RTMPConnection {
    func onConnect(_ cmd: RTMPCommand) throws {
        let obj = cmd.commandObject
        guard let tcUrl = obj["tcUrl"]?.stringValue else { throw RTMPError.malformed("connect without tcUrl") }
        request.setConnect(tcUrl: tcUrl, app: obj["app"]?.stringValue)
        request.pageUrl = obj["pageUrl"]?.stringValue ?? ""
        request.swfUrl = obj["swfUrl"]?.stringValue ?? ""
        Log.traceClient("connect app", "connect app, tcUrl=\(tcUrl), pageUrl=\(request.pageUrl), swfUrl=\(request.swfUrl), schema=\(request.schema), vhost=\(request.vhost), port=\(request.port), app=\(request.app), args=\(request.param.isEmpty ? "null" : request.param)")
        if let bad = request.nameRefusal {
            rejectConnect("\(bad)")
            return
        }
        guard let vhost = config.current.vhost(request.vhost) else {
            rejectConnect("vhost \(request.vhost) not found")
            return
        }
        // Resolve to the configured vhost name, so `__defaultVhost__` keys all unmatched hosts.
        request.vhost = vhost.name
        if startTokenTraverse(vhost: vhost) { return }
        acceptConnect()
    }

    /// Refuses `connect` with `_error(NetConnection.Connect.Rejected)` (as FMS; SRS 7 closes
    /// without an answer) and closes once it is sent.
    private func rejectConnect(_ why: String) {
        rtmp.rejectConnect(description: why)
        writeOutput()
        closeAfterRefusal()
        Log.warnRepeated("reject client", "reject client: \(why)", cid: cid)
    }

    /// Accepts the `connect`; SRS puts its version, pid and this client's id in the answer.
    func acceptConnect() {
        rtmp.acceptConnect(chunkSize: config.current.chunkSize, data: [
            AMF0Property("version", .string(Version.string)),
            AMF0Property("srs_sig", .string(Version.signature)),
            AMF0Property("srs_server", .string(Version.server)),
            AMF0Property("srs_version", .string(Version.string)),
            AMF0Property("srs_pid", .number(Double(serverPID))),
            AMF0Property("srs_id", .string(cid)),
        ])
        writeOutput()
    }

    /// Takes the stream name of `publish`/`play` (the session checked the connection may start a
    /// stream) into the request. False when `StreamName` refuses it: then it was answered with
    /// `onStatus(refusal)` and the connection closes.
    private func streamRequest(_ command: String, name: String, refusal: String) throws -> Bool {
        guard case .none = role, !clusterState.redirecting else { throw RTMPError.malformed("\(command) on a busy connection") }
        request.setStream(name)
        if let bad = request.nameRefusal {
            rtmp.rejectStream(code: refusal, description: "\(bad)")
            writeOutput()
            closeAfterRefusal()
            Log.warnRepeated(command == "publish" ? "reject publish" : "reject play", "reject \(command): \(bad)", cid: cid)
            return false
        }
        if let v = config.current.vhost(request.vhost) { request.vhost = v.name }
        return true
    }

    /// Refuses a publish of a stream that already has a publisher, as SRS.
    func rejectBusyPublish() {
        rtmp.rejectStream(code: "NetStream.Publish.BadName", description: "Stream \(request.streamKey.url) is already publishing.")
        writeOutput()
        closeAfterRefusal()
    }

    func onPublish(_ name: String) throws {
        // FMS and nginx-rtmp answer a name they refuse with NetStream.Publish.BadName (SRS 7 closes).
        guard try streamRequest("publish", name: name, refusal: "NetStream.Publish.BadName") else { return }
        if checkAccess(.publish, serve: { [weak self] in self?.servePublish() }) { return }
        servePublish()
    }

    /// Serves a publish that passed the access checks: through the edge, or as the stream's publisher.
    func servePublish() {
        defer { accessStarted() }
        if let v = config.current.vhost(request.vhost), publishThroughEdge(vhost: v) { return }
        let source = sources.fetchOrCreate(request.streamKey, now: loop.now)
        guard source.publish(cid: cid, now: loop.now) else {
            Log.warnRepeated("reject publish", "reject publish: stream \(source.key) is busy (publisher \(source.publisherCID ?? "-"))", cid: cid)
            rejectBusyPublish()
            return
        }
        role = .publisher(source)
        source.tcUrl = request.tcUrl
        lastMediaMs = loop.now
        rtmp.acceptPublish()
        writeOutput()
        Log.traceClient("start publish stream", "\(rtmp.isFMLE ? "FMLE" : "flash") start publish stream \(source.key), tcUrl=\(request.tcUrl)", cid: cid)
        published(source)
    }

    func onPlay(_ name: String) throws {
        // FMS's answer to a stream that cannot be played (SRS 7 closes).
        guard try streamRequest("play", name: name, refusal: "NetStream.Play.StreamNotFound") else { return }
        if checkAccess(.play, serve: { [weak self] in self?.servePlay() }) { return }
        servePlay()
    }

    /// Serves a play that passed the access checks.
    func servePlay() {
        defer { accessStarted() }
        let vhost = config.current.vhost(request.vhost)
        var play = vhost?.play ?? PlayConfig()
        // A sibling's relay pull is merged by the sibling's own players: writing at once here
        // keeps the two hops from adding their delays.
        if isInternal {
            play.mwMsgs = 0
            play.mwLatencyMs = 0
            play.tcpNoDelay = true
        }
        output = PlayerOutput(socket: socket, loop: loop, cid: cid, play: play)
        let source = sources.fetchOrCreate(request.streamKey, now: loop.now)
        rtmp.acceptPlay()
        writeOutput()
        // A sibling worker's relay pull is served as it is: no redirect, no pull of its own.
        if !isInternal, let v = vhost, redirectPlayIfElsewhere(source: source, vhost: v) { return }
        role = .player(source)
        Log.traceClient("start play stream", "start play stream \(source.key), published=\(source.isPublished), consumers=\(source.consumerCount + 1)", cid: cid)
        if let output {
            let key = PlayerBatchKey(format: .rtmp(chunkSize: rtmp.outChunkSize), mwMsgs: play.mwMsgs, mwLatencyMs: play.mwLatencyMs)
            source.addPlayer(self, output: output, key: key, now: loop.now)
        }
        // The cached start (metadata, headers, GOP) goes out at once: first frame without delay.
        output?.flushStart()
        if !isInternal, let v = vhost { playerJoinedCluster(source: source, vhost: v) }
    }
}
