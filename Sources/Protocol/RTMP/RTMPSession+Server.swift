import Kernel

/// The server role: the commands a client sends, and SRS's answers to them, in SRS's order and
/// with its values (connect: window 2500000, peer bandwidth 2500000 dynamic, chunk size before
/// `_result`, then `onBWDone`; FMLE publish: `onFCPublish` before `onStatus`; play: StreamBegin,
/// Play.Reset, Play.Start, `|RtmpSampleAccess`). What the owner decides (vhost, stream busy,
/// redirect) comes in through `accept...`/`reject...`.
extension RTMPSession {
    /// The stream id `createStream` hands out, as SRS: publish and play happen on it.
    public static let mediaStreamID: UInt32 = 1
    /// SRS's window acknowledgement size and peer bandwidth.
    static let serverWindow: UInt32 = 2_500_000

    mutating func serverCommand(_ cmd: RTMPCommand) throws -> RTMPSessionEvent? {
        switch cmd.name {
        case "connect":
            guard stage == .connect else { throw RTMPError.malformed("second connect") }
            guard cmd.commandObject["tcUrl"]?.stringValue != nil else { throw RTMPError.malformed("connect without tcUrl") }
            connectTransaction = cmd.transactionID
            objectEncoding = cmd.commandObject["objectEncoding"]?.numberValue ?? 0
            stage = .decide(.connect)
            return .connect(cmd)
        case "createStream":
            reply(cmd, .null, .number(Double(Self.mediaStreamID)))
        case "releaseStream", "FCPublish":
            isFMLE = true
            reply(cmd, .null, .undefined)
        case "publish":
            let name = try streamName(cmd)
            stage = .decide(.publish)
            return .publish(stream: name)
        case "play":
            let name = try streamName(cmd)
            stage = .decide(.play)
            return .play(stream: name)
        case "FCUnpublish":
            guard activeStream == .publishing else {
                reply(cmd, .null, .undefined)
                return nil
            }
            write(RTMPCommand(name: "onFCUnpublish", transactionID: 0, arguments: [
                RTMPStatus.info(code: "NetStream.Unpublish.Success", description: "Stop publishing stream.")])
                .message(streamID: Self.mediaStreamID, chunkStreamID: RTMPChunkStreamID.streamData))
            reply(cmd, .null, .undefined)
            write(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Unpublish.Success",
                                      description: "Stream is now unpublished"))
            activeStream = .none
            return .unpublish
        case "deleteStream", "closeStream":
            activeStream = .none
            return .deleteStream
        case "getStreamLength":
            reply(cmd, .null, .number(0))
        case "pause", "receiveAudio", "receiveVideo", "_result", "_error", "onBWDone":
            break
        default:
            // Unknown calls (`_checkbw`, custom RPCs) get an empty `_result`, as SRS answers them.
            if cmd.transactionID > 0 { reply(cmd, .null, .null) }
        }
        return nil
    }

    /// The stream name of `publish`/`play`, on a connection that may start a stream.
    private func streamName(_ cmd: RTMPCommand) throws -> String {
        guard isConnected else { throw RTMPError.malformed("\(cmd.name) before connect") }
        guard activeStream == .none else { throw RTMPError.malformed("\(cmd.name) on a busy connection") }
        guard let name = cmd.stringArgument(0), !name.isEmpty else { throw RTMPError.malformed("\(cmd.name) without a stream name") }
        return name
    }

    /// `_result(object, value)` for a command, on stream 0.
    private mutating func reply(_ cmd: RTMPCommand, _ object: AMF0Value, _ value: AMF0Value) {
        write(RTMPCommand(name: "_result", transactionID: cmd.transactionID, commandObject: object, arguments: [value]).message())
    }

    // MARK: - The owner's answers

    /// Accepts the pending `connect`: window, peer bandwidth, our chunk size (before `_result`:
    /// OBS needs it that way), `_result` with SRS's properties and `data` (SRS puts its version,
    /// pid and client id there), then `onBWDone`. Ignored unless a `connect` waits.
    public mutating func acceptConnect(chunkSize: Int, data: [AMF0Property]) {
        guard stage == .decide(.connect) else { return }
        stage = .connected
        isConnected = true
        let size = max(1, min(chunkSize, RTMPChunkDecoder.maxChunkSize))
        write(RTMPControl.windowAckSize(Self.serverWindow))
        write(RTMPControl.setPeerBandwidth(Self.serverWindow, limitType: 2))
        write(RTMPControl.setChunkSize(UInt32(size)))
        outChunkSize = size
        let props: AMF0Value = .object([
            AMF0Property("fmsVer", .string("FMS/3,5,3,888")),
            AMF0Property("capabilities", .number(127)),
            AMF0Property("mode", .number(1)),
        ])
        let info = RTMPStatus.info(code: "NetConnection.Connect.Success", description: "Connection succeeded",
                                   extra: [AMF0Property("objectEncoding", .number(objectEncoding)),
                                           AMF0Property("data", .ecmaArray(data))])
        write(RTMPCommand(name: "_result", transactionID: connectTransaction, commandObject: props, arguments: [info]).message())
        write(RTMPCommand(name: "onBWDone", transactionID: 0, arguments: [.null]).message())
    }

    /// Refuses the pending `connect` with `_error` (`NetConnection.Connect.Rejected`) and ends
    /// the session; close the connection once the output is written.
    public mutating func rejectConnect(description: String) {
        guard stage == .decide(.connect) else { return }
        write(RTMPCommand(name: "_error", transactionID: connectTransaction, arguments: [
            RTMPStatus.info(level: "error", code: "NetConnection.Connect.Rejected", description: description)]).message())
        end()
    }

    /// Accepts the pending `publish`: `onFCPublish` (FMLE clients) and
    /// `onStatus(NetStream.Publish.Start)`.
    public mutating func acceptPublish() {
        guard stage == .decide(.publish) else { return }
        stage = .connected
        activeStream = .publishing
        if isFMLE {
            write(RTMPCommand(name: "onFCPublish", transactionID: 0, arguments: [
                RTMPStatus.info(code: "NetStream.Publish.Start", description: "Started publishing stream.")])
                .message(streamID: Self.mediaStreamID, chunkStreamID: RTMPChunkStreamID.streamData))
        }
        write(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Publish.Start",
                                  description: "Started publishing stream."))
    }

    /// Accepts the pending `play`: StreamBegin, `NetStream.Play.Reset`, `NetStream.Play.Start`
    /// and `|RtmpSampleAccess` (never `NetStream.Data.Start`: it confuses ffmpeg). The owner then
    /// sends the media, encoded with `outChunkSize`, on `mediaStreamID`.
    public mutating func acceptPlay() {
        guard stage == .decide(.play) else { return }
        stage = .connected
        activeStream = .playing
        write(RTMPControl.userControl(event: RTMPControl.streamBegin, value: Self.mediaStreamID))
        write(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Play.Reset",
                                  description: "Playing and resetting stream."))
        write(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Play.Start",
                                  description: "Started playing stream."))
        write(RTMPStatus.data(streamID: Self.mediaStreamID, values: [.string("|RtmpSampleAccess"), .boolean(true), .boolean(true)]))
    }

    /// Refuses the pending `publish` or `play` with an error `onStatus` (`NetStream.Publish.BadName`
    /// for a busy stream, as SRS) and ends the session; close once the output is written.
    public mutating func rejectStream(code: String, description: String) {
        guard stage == .decide(.publish) || stage == .decide(.play) else { return }
        write(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: code, description: description, level: "error"))
        end()
    }

    /// SRS's "RTMP 302" to `url` (`rtmp://ip:port/app/stream?params`), after Play.Start; the
    /// client is expected to close and go there.
    public mutating func redirect(to url: String) {
        guard stage != .ended else { return }
        write(RTMPRedirect.status(url: url))
    }

    /// An `onStatus` of level status on the media stream (`NetStream.Play.UnpublishNotify`...).
    public mutating func sendStreamStatus(code: String, description: String) {
        guard stage != .ended else { return }
        write(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: code, description: description))
    }
}
