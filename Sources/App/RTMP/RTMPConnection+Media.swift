import Kernel
import Protocol
import System

extension RTMPConnection: LiveConsumer {
    // MARK: - Publisher side

    func onMedia(_ m: RTMPMessage) {
        if forwardEdgePublish(m) { return }
        guard case .publisher(let source) = role else { return }
        lastMediaMs = loop.now
        gotFirstMedia = true
        source.onMessage(MediaMessage(type: m.type, timestamp: m.timestamp, payload: m.payload))
    }

    func onData(_ m: RTMPMessage) {
        if forwardEdgePublish(m) { return }
        guard case .publisher(let source) = role else { return }
        guard let meta = MediaMessage.playerMetadata(m) else { return }
        Log.traceRepeated("got metadata", "got metadata from publisher of \(source.key)", cid: cid)
        source.onMessage(MediaMessage(type: RTMPMessageType.amf0Data, timestamp: m.timestamp, payload: meta))
    }

    // MARK: - Player side

    public func deliver(_ m: MediaMessage) {
        output?.deliver(m, m.rtmp(chunkSize: rtmp.outChunkSize))
    }

    public func sourceUnpublished() {
        guard !socket.closed else { return }
        rtmp.sendStreamStatus(code: "NetStream.Play.UnpublishNotify", description: "The stream is unpublished")
        writeOutput()
    }

    public func sourcePublished() {
        guard !socket.closed else { return }
        rtmp.sendStreamStatus(code: "NetStream.Play.PublishNotify", description: "The stream is published")
        writeOutput()
    }
}
