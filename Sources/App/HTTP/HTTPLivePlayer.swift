import Core
import Kernel
import Protocol
import System

/// An HTTP live player (`http_remux`): a live consumer that writes the stream as HTTP chunks, in
/// the mount's format: FLV tags (each tag one chunk, framed once per message and shared), or
/// the stream's shared HTTP-TS, HTTP-AAC or HTTP-MP3 encoding (`LiveRemux`). A TS player starts
/// at a random access point (PAT, PMT, keyframe); an MP3 player gets SRS's ID3 tag first.
///
/// A player of a stream nobody publishes yet waits for the publisher (SRS holds such requests
/// without an answer until media comes, without a bound): no response is sent until the
/// publish starts, and after `publish_wait_timeout` it gets SRS's 404 and the connection closes.
final class HTTPLivePlayer: LiveConsumer {
    let source: LiveSource
    unowned let connection: HTTPConnection
    let format: LiveRemuxFormat
    private let output: PlayerOutput
    private let hasAudio: Bool
    private let hasVideo: Bool
    /// The response started (a waiting player has sent nothing yet).
    private(set) var started = false
    /// TS: the first random access point was sent.
    private var synced = false
    private var waitTimer: TimerID?

    /// `waitMs`: nil starts the response now; otherwise the player waits for the publisher that long.
    init(source: LiveSource, connection: HTTPConnection, play: PlayConfig, hasAudio: Bool, hasVideo: Bool,
         format: LiveRemuxFormat = .flv, waitMs: Int64? = nil) {
        self.source = source
        self.connection = connection
        self.format = format
        self.hasAudio = hasAudio
        self.hasVideo = hasVideo
        output = PlayerOutput(socket: connection.socket, loop: connection.loop, cid: connection.cid, play: play)
        if let waitMs, !source.isPublished {
            Log.traceClient("http live wait", "\(format.rawValue): \(source.key) is not published, wait up to \(waitMs)ms for it",
                            cid: connection.cid)
            waitTimer = connection.loop.schedule(afterMs: waitMs) { [weak self] in self?.waitExpired() }
        } else {
            start()
        }
        source.useRemux(format)
        if format == .flv {
            // FLV players share their merged writes (batches start only once a publisher sends,
            // after `sourcePublished` started a waiting player's response).
            source.addPlayer(self, output: output, key: PlayerBatchKey(format: .flv, mwMsgs: play.mwMsgs, mwLatencyMs: play.mwLatencyMs),
                             now: connection.loop.now)
        } else {
            source.addConsumer(self, now: connection.loop.now)
        }
        // The cached start (metadata, headers, GOP) goes out at once: first frame without delay.
        if started { output.flushStart() }
    }

    deinit { if let t = waitTimer { connection.loop.cancel(t) } }

    private var socket: StreamSocket { connection.socket }

    /// True while it waits for a publisher (nothing sent yet).
    var isWaiting: Bool { !started }

    private func start() {
        started = true
        if let t = waitTimer { connection.loop.cancel(t) }
        waitTimer = nil
        connection.startStream(contentType: format.contentType)
        switch format {
        case .flv: socket.send(HTTPChunked.chunk(FLVHeader.bytes(hasAudio: hasAudio, hasVideo: hasVideo)))
        case .mp3: socket.send(HTTPChunked.chunk(AudioStreamRemuxer.mp3StreamHeader))
        case .ts, .aac: break
        }
    }

    private func waitExpired() {
        waitTimer = nil
        guard !started, !socket.closed else { return }
        Log.traceClient("http live wait", "\(format.rawValue): \(source.key) was not published in time, 404", cid: connection.cid)
        connection.respond(.text(404, "Stream Not Found\n"), to: nil, close: true)
    }

    func deliver(_ m: MediaMessage) {
        // A waiting player ignores what an earlier publish left in the cache.
        guard started else { return }
        guard format != .flv else { return output.deliver(m, m.flvChunk()) }
        guard m.remuxFormat == format, let chunk = m.remuxChunk else { return }
        if !synced {
            guard m.remuxRandomAccess else { return }
            synced = true
        }
        output.deliver(m, chunk)
    }

    /// The publisher came: a waiting player's response starts.
    func sourcePublished() {
        guard !started, !socket.closed else { return }
        Log.traceClient("http live wait", "\(format.rawValue): \(source.key) published, start the response", cid: connection.cid)
        start()
        output.flushStart()
    }

    /// SRS ends HTTP-FLV responses when the publisher leaves, so players reconnect.
    func sourceUnpublished() {
        guard started, !socket.closed else { return }
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
        if let t = waitTimer { connection.loop.cancel(t) }
        waitTimer = nil
        source.removeConsumer(self, now: connection.loop.now)
        if format != .flv { source.releaseRemux() }
    }
}
