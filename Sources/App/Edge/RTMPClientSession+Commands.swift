import Kernel
import Protocol
import System

extension RTMPClientSession {
    /// Largest number of messages one aggregate may carry (bounds the work per message).
    static let maxAggregateParts = 4096

    /// `connect`, after our chunk size: large chunks make forwarded media cheap to frame.
    func sendConnect() {
        phase = .connectApp
        write(RTMPControl.setChunkSize(UInt32(chunkSize)))
        outChunkSize = chunkSize
        let tc = tcUrl
        let obj: AMF0Value = .object([
            AMF0Property("app", .string(Self.appField(of: tc, fallback: request.app))),
            AMF0Property("flashVer", .string("FMLE/3.0 (compatible; \(Version.server))")),
            AMF0Property("tcUrl", .string(tc)),
            AMF0Property("fpad", .boolean(false)),
            AMF0Property("capabilities", .number(239)),
            AMF0Property("audioCodecs", .number(3575)),
            AMF0Property("videoCodecs", .number(252)),
            AMF0Property("videoFunction", .number(1)),
            AMF0Property("objectEncoding", .number(0)),
        ])
        send(command: RTMPCommand(name: "connect", transactionID: Txn.connect, commandObject: obj))
    }

    /// The `app` field of `connect`: the tcUrl's path with its query (as ffmpeg sends it), so a
    /// `?vhost=` or token in the client's tcUrl survives.
    static func appField(of tcUrl: String, fallback: String) -> String {
        guard let scheme = tcUrl.firstRange(of: "://") else { return fallback }
        let rest = tcUrl[scheme.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return fallback }
        let app = rest[rest.index(after: slash)...]
        return app.isEmpty ? fallback : String(app)
    }

    func handle(_ messages: [RTMPMessage]) throws {
        for m in messages {
            if phase == .closed { return }
            try handle(m)
        }
    }

    private func handle(_ m: RTMPMessage) throws {
        switch m.type {
        case RTMPMessageType.audio, RTMPMessageType.video, RTMPMessageType.amf0Data, RTMPMessageType.amf3Data:
            if phase == .ready && mode == .play { onMessage?(m) }
        case RTMPMessageType.aggregate:
            if phase == .ready && mode == .play { try splitAggregate(m) }
        case RTMPMessageType.amf0Command, RTMPMessageType.amf3Command:
            let cmd: RTMPCommand
            do {
                cmd = try RTMPCommand.decode(type: m.type, payload: m.payload)
            } catch {
                throw RTMPClientError.protocolError(endpoint, "bad command: \(error)")
            }
            try onCommand(cmd)
        case RTMPMessageType.windowAckSize:
            var r = ByteReader(m.payload)
            peerAckWindow = (try? r.u32()) ?? 0
        case RTMPMessageType.userControl:
            var r = ByteReader(m.payload)
            if let event = try? r.u16(), event == RTMPControl.pingRequest, let value = try? r.u32() {
                write(RTMPControl.userControl(event: RTMPControl.pingResponse, value: value))
            }
        default:
            // Set chunk size and abort are applied by the decoder; acks and bandwidth need nothing.
            break
        }
    }

    private func onCommand(_ cmd: RTMPCommand) throws {
        switch cmd.name {
        case "_result":
            try onResult(cmd)
        case "_error":
            if let url = RTMPRedirect.target(of: cmd) { throw RTMPClientError.redirected(endpoint, to: url) }
            let info = cmd.arguments.first ?? cmd.commandObject
            throw RTMPClientError.rejected(endpoint, code: info["code"]?.stringValue ?? "_error",
                                           description: info["description"]?.stringValue ?? "")
        case "onStatus":
            try onStatus(cmd)
        case "close":
            throw RTMPClientError.closed(endpoint, phase: phase.rawValue, reason: "upstream sent close")
        default:
            // onBWDone, onFCPublish, |RtmpSampleAccess and custom calls need no answer.
            break
        }
    }

    private func onResult(_ cmd: RTMPCommand) throws {
        switch (phase, cmd.transactionID) {
        case (.connectApp, Txn.connect):
            let info = cmd.arguments.first ?? .null
            if let code = info["code"]?.stringValue, code != "NetConnection.Connect.Success" {
                throw RTMPClientError.rejected(endpoint, code: code, description: info["description"]?.stringValue ?? "")
            }
            switch mode {
            case .connectOnly:
                becomeReady()
            case .play:
                phase = .createStream
                send(command: RTMPCommand(name: "createStream", transactionID: Txn.createStream))
            case .publish:
                phase = .createStream
                let name: AMF0Value = .string(request.streamName)
                send(command: RTMPCommand(name: "releaseStream", transactionID: Txn.releaseStream, arguments: [name]))
                send(command: RTMPCommand(name: "FCPublish", transactionID: Txn.fcPublish, arguments: [name]))
                send(command: RTMPCommand(name: "createStream", transactionID: Txn.createStream))
            }
        case (.createStream, Txn.createStream):
            if let id = cmd.arguments.first?.numberValue, id >= 1, id < 65536 { streamID = UInt32(id) }
            phase = .start
            let name: AMF0Value = .string(request.streamName)
            if mode == .play {
                send(command: RTMPCommand(name: "play", transactionID: 0, arguments: [name, .number(-2)]), streamID: streamID)
                // Ask for 3 s of buffer, as players do; some servers wait for it before sending.
                var w = ByteWriter(capacity: 10)
                w.u16(RTMPControl.setBufferLength)
                w.u32(streamID)
                w.u32(3000)
                write(RTMPMessage(type: RTMPMessageType.userControl, chunkStreamID: RTMPChunkStreamID.protocolControl, payload: w.bytes))
            } else {
                send(command: RTMPCommand(name: "publish", transactionID: Txn.publish, arguments: [name, .string("live")]),
                     streamID: streamID)
            }
        default:
            // Answers to releaseStream/FCPublish, or late ones: nothing to do.
            break
        }
    }

    private func onStatus(_ cmd: RTMPCommand) throws {
        let info = cmd.arguments.first ?? cmd.commandObject
        let code = info["code"]?.stringValue ?? ""
        if info["level"]?.stringValue == "error" {
            if let url = RTMPRedirect.target(of: cmd) { throw RTMPClientError.redirected(endpoint, to: url) }
            throw RTMPClientError.rejected(endpoint, code: code, description: info["description"]?.stringValue ?? "")
        }
        guard phase == .start else { return }
        if mode == .play && code == "NetStream.Play.Start" || mode == .publish && code == "NetStream.Publish.Start" {
            becomeReady()
        }
    }

    /// An aggregate message is FLV tags back to back (header, payload, previous tag size); each
    /// becomes a message whose timestamp keeps its offset from the first tag's.
    private func splitAggregate(_ m: RTMPMessage) throws {
        var r = ByteReader(m.payload)
        var base: UInt32?
        var parts = 0
        while r.remaining >= 11 {
            parts += 1
            guard parts <= Self.maxAggregateParts else { throw RTMPClientError.protocolError(endpoint, "aggregate with too many parts") }
            let type = try r.u8()
            let size = Int(try r.u24())
            let ts = try r.u24() | UInt32(try r.u8()) << 24
            _ = try r.u24()
            guard size <= r.remaining else { throw RTMPClientError.protocolError(endpoint, "truncated aggregate") }
            let payload = Array(try r.read(size))
            if r.remaining >= 4 { _ = try r.u32() }
            let first = base ?? ts
            base = first
            guard type == RTMPMessageType.audio || type == RTMPMessageType.video || type == RTMPMessageType.amf0Data else { continue }
            onMessage?(RTMPMessage(type: type, streamID: m.streamID, timestamp: m.timestamp &+ (ts &- first),
                                   chunkStreamID: m.chunkStreamID, payload: payload))
            if phase == .closed { return }
        }
    }
}
