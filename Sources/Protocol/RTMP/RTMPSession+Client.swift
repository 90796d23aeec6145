import Kernel

/// The client role: `connect` right after the handshake, then `createStream` and `play`, or
/// (FMLE style, as ffmpeg, OBS and SRS's edge) `releaseStream`, `FCPublish`, `createStream` and
/// `publish`. Answers are matched by transaction id, not by arrival order. A failed step, an
/// error status or SRS's redirect ends the session with an event.
extension RTMPSession {
    /// The chunk stream of commands on a media stream (as ffmpeg).
    static let streamCommandChunkStreamID: UInt32 = 8

    /// `connect`, after our chunk size. The properties are those SRS's edge sends.
    mutating func sendConnect() {
        guard let o = clientOptions else { return }
        if o.chunkSize != outChunkSize {
            write(RTMPControl.setChunkSize(UInt32(o.chunkSize)))
            outChunkSize = o.chunkSize
        }
        invoke("connect", object: .object([
            AMF0Property("app", .string(o.app)),
            AMF0Property("flashVer", .string(o.flashVer)),
            AMF0Property("tcUrl", .string(o.tcUrl)),
            AMF0Property("fpad", .boolean(false)),
            AMF0Property("capabilities", .number(239)),
            AMF0Property("audioCodecs", .number(3575)),
            AMF0Property("videoCodecs", .number(252)),
            AMF0Property("videoFunction", .number(1)),
            AMF0Property("objectEncoding", .number(0)),
        ]))
    }

    /// Sends a command with the next transaction id and remembers it for the answer.
    private mutating func invoke(_ name: String, object: AMF0Value = .null, arguments: [AMF0Value] = [], streamID: UInt32 = 0) {
        let txn = nextTransaction
        nextTransaction += 1
        transactions[txn] = name
        write(RTMPCommand(name: name, transactionID: txn, commandObject: object, arguments: arguments)
            .message(streamID: streamID, chunkStreamID: streamID == 0 ? RTMPChunkStreamID.command : Self.streamCommandChunkStreamID))
    }

    mutating func clientCommand(_ cmd: RTMPCommand) throws -> RTMPSessionEvent? {
        switch cmd.name {
        case "_result":
            return try result(cmd)
        case "_error":
            // ffmpeg ignores errors of these optional calls; so do we.
            let method = transactions.removeValue(forKey: cmd.transactionID)
            if method == "releaseStream" || method == "FCPublish" { return nil }
            return failure(cmd)
        case "onStatus":
            let info = cmd.arguments.first ?? cmd.commandObject
            if info["level"]?.stringValue == "error" { return failure(cmd) }
            let code = info["code"]?.stringValue ?? ""
            if stage == .start, clientOptions?.mode == .play && code == "NetStream.Play.Start"
                || clientOptions?.mode == .publish && code == "NetStream.Publish.Start" {
                stage = .started
                return .started
            }
            return .status(code: code, description: info["description"]?.stringValue ?? "")
        case "close":
            end()
            return .closeRequested
        default:
            // onBWDone, onFCPublish, |RtmpSampleAccess and custom calls need no answer.
            return nil
        }
    }

    /// SRS's redirect, or a refusal: either ends the session.
    private mutating func failure(_ cmd: RTMPCommand) -> RTMPSessionEvent {
        end()
        if let url = RTMPRedirect.target(of: cmd) { return .redirected(url: url) }
        let info = cmd.arguments.first ?? cmd.commandObject
        return .rejected(code: info["code"]?.stringValue ?? cmd.name, description: info["description"]?.stringValue ?? "")
    }

    private mutating func result(_ cmd: RTMPCommand) throws -> RTMPSessionEvent? {
        guard let o = clientOptions, let method = transactions.removeValue(forKey: cmd.transactionID) else { return nil }
        switch method {
        case "connect":
            guard stage == .connect else { return nil }
            let info = cmd.arguments.first ?? .null
            if let code = info["code"]?.stringValue, code != "NetConnection.Connect.Success" {
                end()
                return .rejected(code: code, description: info["description"]?.stringValue ?? "")
            }
            isConnected = true
            let name: AMF0Value = .string(o.streamName)
            switch o.mode {
            case .connectOnly:
                stage = .connected
            case .play:
                stage = .createStream
                invoke("createStream")
            case .publish:
                stage = .createStream
                invoke("releaseStream", arguments: [name])
                invoke("FCPublish", arguments: [name])
                invoke("createStream")
            }
            return .connected
        case "createStream":
            guard stage == .createStream else { return nil }
            guard let id = cmd.arguments.first?.numberValue, id >= 0, id < 4_294_967_296, id == id.rounded(.towardZero) else {
                throw RTMPError.malformed("createStream result without a stream id")
            }
            streamID = UInt32(id)
            stage = .start
            let name: AMF0Value = .string(o.streamName)
            if o.mode == .play {
                write(RTMPCommand(name: "play", transactionID: 0, arguments: [name, .number(-2)])
                    .message(streamID: streamID, chunkStreamID: Self.streamCommandChunkStreamID))
                var w = ByteWriter(capacity: 10)
                w.u16(RTMPControl.setBufferLength)
                w.u32(streamID)
                w.u32(o.bufferLengthMs)
                write(RTMPMessage(type: RTMPMessageType.userControl, chunkStreamID: RTMPChunkStreamID.protocolControl, payload: w.bytes))
            } else {
                invoke("publish", arguments: [name, .string("live")], streamID: streamID)
            }
            return .streamCreated(streamID)
        default:
            // Answers to releaseStream, FCPublish or publish: nothing to do.
            return nil
        }
    }

    // MARK: - The owner's calls

    /// Publishing: sends an audio, video or data message on our stream (ignored before
    /// `.started`). The chunk stream follows the type, as ffmpeg and SRS do.
    public mutating func sendMedia(_ m: RTMPMessage) {
        guard stage == .started, clientOptions?.mode == .publish else { return }
        var out = m
        out.streamID = streamID
        out.chunkStreamID = m.type == RTMPMessageType.video ? RTMPChunkStreamID.video
            : m.type == RTMPMessageType.audio ? RTMPChunkStreamID.audio : RTMPChunkStreamID.streamData
        write(out)
    }

    /// Publishing: says `FCUnpublish` and `deleteStream`, then the session ends.
    public mutating func unpublish() {
        guard stage == .started, let o = clientOptions, o.mode == .publish else { return }
        invoke("FCUnpublish", arguments: [.string(o.streamName)])
        invoke("deleteStream", arguments: [.number(Double(streamID))])
        end()
    }
}
