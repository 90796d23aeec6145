import Kernel
import Protocol
import System

/// An HTTP-FLV player: a live consumer that writes FLV tags as HTTP chunks. Each tag is one chunk,
/// and the framed bytes (chunk header + tag + CRLF) are built once per message and shared.
final class HTTPFLVPlayer: LiveConsumer {
    let source: LiveSource
    unowned let connection: HTTPConnection
    private var meter: PlayQueueMeter
    private var queuedBytes: UInt64 = 0
    private var droppedBytes: UInt64 = 0
    private var waitingKeyframe = false
    private var hasVideo = false

    init(source: LiveSource, connection: HTTPConnection, queueLength: Double, hasAudio: Bool, hasVideo: Bool) {
        self.source = source
        self.connection = connection
        self.meter = PlayQueueMeter(queueLengthSeconds: queueLength)
        connection.startStream(contentType: "video/x-flv")
        send(HTTPChunked.chunk(FLVHeader.bytes(hasAudio: hasAudio, hasVideo: hasVideo)))
        source.addConsumer(self, now: connection.server.loop.now)
    }

    private var socket: StreamSocket { connection.socket }

    private func send(_ bytes: [UInt8]) {
        queuedBytes += UInt64(bytes.count)
        socket.send(bytes)
    }

    func deliver(_ m: MediaMessage) {
        if socket.closed { return }
        if m.isVideo { hasVideo = true }
        if waitingKeyframe {
            if m.isVideo && m.isKeyframe || !hasVideo && m.isAudio {
                waitingKeyframe = false
            } else if !(m.isSequenceHeader || m.isData) {
                return
            }
        }
        let bytes = m.flvChunk()
        queuedBytes += UInt64(bytes.count)
        socket.send(bytes)
        guard !m.isData else { return }
        if meter.record(timestamp: m.timestamp, endOffset: queuedBytes, done: socket.bytesWritten + droppedBytes,
                        pendingBytes: socket.pendingBytes) {
            let dropped = socket.dropUnsent()
            droppedBytes += UInt64(dropped)
            meter.reset()
            waitingKeyframe = true
            Log.warn("flv player too slow: dropped \(dropped) queued bytes, waiting for the next keyframe", cid: connection.cid)
        }
    }

    /// SRS ends HTTP-FLV responses when the publisher leaves, so players reconnect.
    func sourceUnpublished() {
        guard !socket.closed else { return }
        Log.trace("flv: stream \(source.key) unpublished, end response", cid: connection.cid)
        socket.send(HTTPChunked.last)
        socket.closeWhenFlushed()
    }

    func tick(now: Int64) {
        if socket.pendingBytes > 0 && now - socket.lastWriteProgressMs > Server.sendTimeoutMs {
            Log.warn("flv player read nothing for \(now - socket.lastWriteProgressMs)ms, close", cid: connection.cid)
            socket.close()
        }
    }

    func stop() {
        source.removeConsumer(self, now: connection.server.loop.now)
    }
}
