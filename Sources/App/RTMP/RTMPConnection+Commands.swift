import Kernel
import Protocol
import System

extension RTMPConnection {
    /// The stream id we hand out in `createStream` and publish/play on.
    static let mediaStreamID: UInt32 = 1

    func onCommand(_ cmd: RTMPCommand, _ m: RTMPMessage) throws {
        switch cmd.name {
        case "connect":
            try onConnect(cmd)
        case "createStream":
            reply(cmd, [.null, .number(Double(Self.mediaStreamID))])
        case "releaseStream", "FCPublish":
            fmle = true
            reply(cmd, [.null, .undefined])
        case "publish":
            try onPublish(cmd)
        case "play":
            try onPlay(cmd)
        case "FCUnpublish":
            if isPublisherRole {
                send(RTMPCommand(name: "onFCUnpublish", transactionID: 0, arguments: [
                    RTMPStatus.info(code: "NetStream.Unpublish.Success", description: "Stop publishing stream.")])
                    .message(streamID: Self.mediaStreamID, chunkStreamID: RTMPChunkStreamID.streamData))
                reply(cmd, [.null, .undefined])
                send(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Unpublish.Success",
                                         description: "Stream is now unpublished"))
                leaveRole()
            } else {
                reply(cmd, [.null, .undefined])
            }
        case "deleteStream", "closeStream":
            leaveRole()
        case "getStreamLength":
            reply(cmd, [.null, .number(0)])
        case "pause", "receiveAudio", "receiveVideo", "_result", "_error", "onBWDone":
            break
        default:
            // Unknown calls (`_checkbw`, custom RPCs) get an empty `_result`, as SRS answers them.
            if cmd.transactionID > 0 { reply(cmd, [.null, .null]) }
        }
    }

    /// `_result` for a command, on the stream it came on.
    func reply(_ cmd: RTMPCommand, _ args: [AMF0Value]) {
        let r = RTMPCommand(name: "_result", transactionID: cmd.transactionID, commandObject: args.first ?? .null,
                            arguments: Array(args.dropFirst()))
        send(r.message())
    }

    private func onConnect(_ cmd: RTMPCommand) throws {
        guard !connected else { throw RTMPError.malformed("second connect") }
        let obj = cmd.commandObject
        guard let tcUrl = obj["tcUrl"]?.stringValue else { throw RTMPError.malformed("connect without tcUrl") }
        request.setConnect(tcUrl: tcUrl, app: obj["app"]?.stringValue)
        request.pageUrl = obj["pageUrl"]?.stringValue ?? ""
        request.swfUrl = obj["swfUrl"]?.stringValue ?? ""
        request.objectEncoding = obj["objectEncoding"]?.numberValue ?? 0
        Log.traceClient("connect app", "connect app, tcUrl=\(tcUrl), pageUrl=\(request.pageUrl), swfUrl=\(request.swfUrl), schema=\(request.schema), vhost=\(request.vhost), port=\(request.port), app=\(request.app), args=\(request.param.isEmpty ? "null" : request.param)")
        if let bad = request.nameRefusal {
            rejectConnect(cmd, "\(bad)")
            return
        }
        guard let vhost = server.config.vhost(request.vhost) else {
            rejectConnect(cmd, "vhost \(request.vhost) not found")
            return
        }
        // Resolve to the configured vhost name, so `__defaultVhost__` keys all unmatched hosts.
        request.vhost = vhost.name
        if startTokenTraverse(cmd, vhost: vhost) { return }
        acceptConnect(cmd)
    }

    /// Refuses `connect` with `_error(NetConnection.Connect.Rejected)` (as FMS; SRS 7 closes
    /// without an answer) and closes once it is sent.
    private func rejectConnect(_ cmd: RTMPCommand, _ why: String) {
        send(RTMPCommand(name: "_error", transactionID: cmd.transactionID, arguments: [
            RTMPStatus.info(level: "error", code: "NetConnection.Connect.Rejected", description: why)]).message())
        closeAfterRefusal()
        Log.warnRepeated("reject client", "reject client: \(why)", cid: cid)
    }

    /// Answers an accepted `connect` (window, bandwidth, chunk size, `_result`, `onBWDone`).
    func acceptConnect(_ cmd: RTMPCommand) {
        connected = true
        let chunkSize = server.config.chunkSize
        send(RTMPControl.windowAckSize(2_500_000))
        send(RTMPControl.setPeerBandwidth(2_500_000, limitType: 2))
        // Set the chunk size before `_result`: OBS needs it that way.
        send(RTMPControl.setChunkSize(UInt32(chunkSize)))
        outChunkSize = chunkSize
        let data: AMF0Value = .ecmaArray([
            AMF0Property("version", .string(Version.string)),
            AMF0Property("srs_sig", .string(Version.signature)),
            AMF0Property("srs_server", .string(Version.server)),
            AMF0Property("srs_version", .string(Version.string)),
            AMF0Property("srs_pid", .number(Double(server.pid))),
            AMF0Property("srs_id", .string(cid)),
        ])
        let props: AMF0Value = .object([
            AMF0Property("fmsVer", .string("FMS/3,5,3,888")),
            AMF0Property("capabilities", .number(127)),
            AMF0Property("mode", .number(1)),
        ])
        let info = RTMPStatus.info(code: "NetConnection.Connect.Success", description: "Connection succeeded",
                                   extra: [AMF0Property("objectEncoding", .number(request.objectEncoding)),
                                           AMF0Property("data", data)])
        send(RTMPCommand(name: "_result", transactionID: cmd.transactionID, commandObject: props, arguments: [info]).message())
        send(RTMPCommand(name: "onBWDone", transactionID: 0, arguments: [.null]).message())
    }

    /// Takes the stream name of `publish`/`play` into the request. False when `StreamName`
    /// refuses it: then it was answered with `onStatus(refusal)` and the connection closes.
    private func streamRequest(_ cmd: RTMPCommand, refusal: String) throws -> Bool {
        guard connected else { throw RTMPError.malformed("\(cmd.name) before connect") }
        guard case .none = role, !cluster.redirecting else { throw RTMPError.malformed("\(cmd.name) on a busy connection") }
        guard let name = cmd.stringArgument(0), !name.isEmpty else { throw RTMPError.malformed("\(cmd.name) without a stream name") }
        request.setStream(name)
        if let bad = request.nameRefusal {
            send(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: refusal, description: "\(bad)", level: "error"))
            closeAfterRefusal()
            Log.warnRepeated(cmd.name == "publish" ? "reject publish" : "reject play", "reject \(cmd.name): \(bad)", cid: cid)
            return false
        }
        if let v = server.config.vhost(request.vhost) { request.vhost = v.name }
        return true
    }

    private func onPublish(_ cmd: RTMPCommand) throws {
        // FMS and nginx-rtmp answer a name they refuse with NetStream.Publish.BadName (SRS 7 closes).
        guard try streamRequest(cmd, refusal: "NetStream.Publish.BadName") else { return }
        if let v = server.config.vhost(request.vhost), publishThroughEdge(vhost: v) { return }
        let source = server.sources.fetchOrCreate(vhost: request.vhost, app: request.app, stream: request.stream, now: server.loop.now)
        guard source.publish(cid: cid, now: server.loop.now) else {
            Log.warnRepeated("reject publish", "reject publish: stream \(source.key) is busy (publisher \(source.publisherCID ?? "-"))", cid: cid)
            send(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Publish.BadName",
                                     description: "Stream \(request.streamURL) is already publishing.", level: "error"))
            closeAfterRefusal()
            return
        }
        role = .publisher(source)
        source.tcUrl = request.tcUrl
        lastMediaMs = server.loop.now
        sendPublishStart()
        Log.traceClient("start publish stream", "\(fmle ? "FMLE" : "flash") start publish stream \(source.key), tcUrl=\(request.tcUrl)", cid: cid)
        server.streamPublished(source)
    }

    /// `onFCPublish` (FMLE clients) and `onStatus(NetStream.Publish.Start)`.
    func sendPublishStart() {
        if fmle {
            send(RTMPCommand(name: "onFCPublish", transactionID: 0, arguments: [
                RTMPStatus.info(code: "NetStream.Publish.Start", description: "Started publishing stream.")])
                .message(streamID: Self.mediaStreamID, chunkStreamID: RTMPChunkStreamID.streamData))
        }
        send(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Publish.Start",
                                 description: "Started publishing stream."))
    }

    private func onPlay(_ cmd: RTMPCommand) throws {
        // FMS's answer to a stream that cannot be played (SRS 7 closes).
        guard try streamRequest(cmd, refusal: "NetStream.Play.StreamNotFound") else { return }
        let vhost = server.config.vhost(request.vhost)
        var play = vhost?.play ?? PlayConfig()
        // A sibling's relay pull is merged by the sibling's own players: writing at once here
        // keeps the two hops from adding their delays.
        if isInternal { play.mwMsgs = 0 }
        output = PlayerOutput(socket: socket, loop: server.loop, cid: cid, play: play)
        let source = server.sources.fetchOrCreate(vhost: request.vhost, app: request.app, stream: request.stream, now: server.loop.now)
        send(RTMPControl.userControl(event: RTMPControl.streamBegin, value: Self.mediaStreamID))
        send(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Play.Reset",
                                 description: "Playing and resetting stream."))
        send(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Play.Start",
                                 description: "Started playing stream."))
        send(RTMPStatus.data(streamID: Self.mediaStreamID, values: [.string("|RtmpSampleAccess"), .boolean(true), .boolean(true)]))
        // A sibling worker's relay pull is served as it is: no redirect, no pull of its own.
        if !isInternal, let v = vhost, redirectPlayIfElsewhere(source: source, vhost: v) { return }
        role = .player(source)
        Log.traceClient("start play stream", "start play stream \(source.key), published=\(source.isPublished), consumers=\(source.consumerCount + 1)", cid: cid)
        source.addConsumer(self, now: server.loop.now)
        // The cached start (metadata, headers, GOP) goes out at once: first frame without delay.
        output?.flush()
        if !isInternal, let v = vhost { playerJoinedCluster(source: source, vhost: v) }
    }
}
