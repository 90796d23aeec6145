import Kernel
import Protocol
import System

extension RTMPConnection: LiveConsumer {
    // MARK: - Publisher side

    func onMedia(_ m: RTMPMessage) {
        if forwardEdgePublish(m) { return }
        guard case .publisher(let source) = role else { return }
        lastMediaMs = server.loop.now
        gotFirstMedia = true
        source.onMessage(MediaMessage(type: m.type, timestamp: m.timestamp, payload: m.payload))
    }

    func onData(_ m: RTMPMessage) {
        if forwardEdgePublish(m) { return }
        guard case .publisher(let source) = role else { return }
        var payload = m.payload
        if m.type == RTMPMessageType.amf3Data, payload.first == 0 { payload.removeFirst() }
        guard var values = try? AMF0.decodeAll(payload), !values.isEmpty else { return }
        if values.first?.stringValue == "@setDataFrame" { values.removeFirst() }
        guard values.count >= 2, values[0].stringValue == "onMetaData" else { return }
        // As SRS: players get no `duration` (it is live) and learn who serves them.
        let meta = values[1].removing("duration")
            .setting("server", .string(Version.server))
            .setting("server_version", .string(Version.string))
        Log.trace("got metadata from publisher of \(source.key)", cid: cid)
        source.onMessage(MediaMessage(type: RTMPMessageType.amf0Data, timestamp: m.timestamp,
                                      payload: AMF0.encode([.string("onMetaData"), meta])))
    }

    // MARK: - Player side

    public func deliver(_ m: MediaMessage) {
        if socket.closed { return }
        if m.isVideo { hasVideo = true }
        if waitingKeyframe {
            // After an overflow, resume at a keyframe so the decoder can start clean.
            if m.isVideo && m.isKeyframe || !hasVideo && m.isAudio || m.isSequenceHeader || m.isData {
                if m.isKeyframe || !hasVideo { waitingKeyframe = false }
            } else {
                return
            }
        }
        let bytes = m.rtmp(chunkSize: outChunkSize)
        send(shared: bytes)
        guard !m.isData else { return }
        let done = socket.bytesWritten + droppedBytes
        if playQueue.record(timestamp: m.timestamp, endOffset: queuedBytes, done: done, pendingBytes: socket.pendingBytes) {
            let dropped = socket.dropUnsent()
            droppedBytes += UInt64(dropped)
            playQueue.reset()
            waitingKeyframe = true
            Log.warn("player too slow: dropped \(dropped) queued bytes, waiting for the next keyframe", cid: cid)
        }
    }

    public func sourceUnpublished() {
        guard !socket.closed else { return }
        send(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Play.UnpublishNotify",
                                 description: "The stream is unpublished"))
    }

    public func sourcePublished() {
        guard !socket.closed else { return }
        send(RTMPStatus.onStatus(streamID: Self.mediaStreamID, code: "NetStream.Play.PublishNotify",
                                 description: "The stream is published"))
    }
}
