import Core
import Kernel
import Protocol
import System

/// An HTTP-FLV player: a live consumer that writes FLV tags as HTTP chunks. Each tag is one chunk,
/// and the framed bytes (chunk header + tag + CRLF) are built once per message and shared.
final class HTTPFLVPlayer: LiveConsumer {
    let source: LiveSource
    unowned let connection: HTTPConnection
    private let output: PlayerOutput

    init(source: LiveSource, connection: HTTPConnection, play: PlayConfig, hasAudio: Bool, hasVideo: Bool) {
        self.source = source
        self.connection = connection
        output = PlayerOutput(socket: connection.socket, loop: connection.loop, cid: connection.cid, play: play)
        connection.startStream(contentType: "video/x-flv")
        connection.socket.send(HTTPChunked.chunk(FLVHeader.bytes(hasAudio: hasAudio, hasVideo: hasVideo)))
        source.addPlayer(self, output: output, key: PlayerBatchKey(format: .flv, mwMsgs: play.mwMsgs, mwLatencyMs: play.mwLatencyMs),
                         now: connection.loop.now)
        // The cached start (metadata, headers, GOP) goes out at once: first frame without delay.
        output.flush()
    }

    private var socket: StreamSocket { connection.socket }

    func deliver(_ m: MediaMessage) {
        output.deliver(m, m.flvChunk())
    }

    /// SRS ends HTTP-FLV responses when the publisher leaves, so players reconnect.
    func sourceUnpublished() {
        guard !socket.closed else { return }
        Log.traceClient("flv: stream unpublished", "flv: stream \(source.key) unpublished, end response", cid: connection.cid)
        socket.send(HTTPChunked.last)
        socket.closeWhenFlushed()
    }

    func tick(now: Int64) {
        if socket.pendingBytes > 0 && now - socket.lastWriteProgressMs > Server.sendTimeoutMs {
            Log.warnRepeated("flv player read nothing", "flv player read nothing for \(now - socket.lastWriteProgressMs)ms, close", cid: connection.cid)
            socket.close()
        }
    }

    func stop() {
        source.removeConsumer(self, now: connection.loop.now)
    }
}
