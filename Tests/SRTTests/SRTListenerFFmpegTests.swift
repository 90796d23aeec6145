import Foundation
import Kernel
import Protocol
@testable import SRT
import System
import XCTest

/// The SRT layer against Debian's ffmpeg (built with libsrt): publish and play, the stream id,
/// admission at the handshake, encryption. The loop runs on the test thread.
final class SRTListenerFFmpegTests: XCTestCase {
    private var loop: EventLoop!
    private var poller: SRTPoller!

    override func setUpWithError() throws {
        guard ChildProcess.which("ffmpeg") != nil, ChildProcess.which("ffprobe") != nil else {
            throw XCTSkip("ffmpeg/ffprobe not installed")
        }
        loop = try EventLoop()
        poller = try SRTPoller(loop: loop)
    }

    override func tearDown() {
        poller?.close()
        poller = nil
        loop = nil
    }

    /// SRS's admission: a stream id it can parse.
    private static let admission: SRTListener.Admission = { id in
        do {
            _ = try SRTStreamID.parse(id)
            return nil
        } catch SRTStreamID.ParseError.unknownMode {
            return 1405  // SRT_REJX_BAD_MODE
        } catch {
            return 1400  // SRT_REJX_BAD_REQUEST
        }
    }

    private func listener(options: SRTSocketOptions = SRTSocketOptions()) throws -> SRTListener {
        try SRTListener(host: "127.0.0.1", port: FreeUDPPort.next(), reusePort: false, options: options, poller: poller,
                        loop: loop, admission: Self.admission)
    }

    func testFFmpegPublishIsAcceptedParsedAndDemuxed() throws {
        let listener = try self.listener()
        var connections: [SRTConnection] = []
        var streamIDs: [SRTStreamID] = []
        var converter = TSFLVConverter()
        var frames: [TSFLVConverter.Frame] = []
        var closed: SRTError?
        var lastStats: SRTStats?
        listener.onAccept = { c in
            connections.append(c)
            streamIDs.append(try! SRTStreamID.parse(c.streamID))
            c.onMessage = { message in
                // What SRS checks of each SRT message: whole TS packets.
                XCTAssertEqual(message.count % 188, 0)
                XCTAssertEqual(message.first, 0x47)
                for case .frame(let f) in converter.feed(message) { frames.append(f) }
                lastStats = c.stats()
            }
            c.onClose = { error in
                for case .frame(let f) in converter.flush() { frames.append(f) }
                closed = error
            }
        }
        let ffmpeg = try ChildProcess("ffmpeg", ["-v", "error", "-re", "-i", try TSFixture.path(), "-t", "3", "-c", "copy",
                                                 "-f", "mpegts", srtURL(port: listener.port, streamID: "#!::r=live/test,m=publish")])
        defer { ffmpeg.stop() }
        XCTAssertTrue(loop.run(timeoutMs: 20_000) { closed != nil }, "ffmpeg's connection should end: \(ffmpeg.output)")
        XCTAssertEqual(ffmpeg.wait(timeout: 5), 0, ffmpeg.output)

        XCTAssertEqual(connections.count, 1)
        XCTAssertEqual(streamIDs, [SRTStreamID(mode: .publish, vhost: "", app: "live", stream: "test", param: "")])
        XCTAssertEqual(connections.first?.peerHost, "127.0.0.1")
        XCTAssertGreaterThan(connections.first?.peerPort ?? 0, 0)
        XCTAssertEqual(connections.first?.payloadSize, 1316)
        XCTAssertEqual(closed?.connectionLost, true, "\(String(describing: closed))")
        let video = frames.filter { $0.type == FLVTagType.video && !$0.isSequenceHeader }
        let audio = frames.filter { $0.type == FLVTagType.audio && !$0.isSequenceHeader }
        XCTAssertEqual(frames.filter(\.isSequenceHeader).count, 2, "one AVC and one AAC sequence header")
        XCTAssertEqual(video.first?.isKeyframe, true)
        // ffmpeg closes right after its last write, and libsrt drops what is still in flight
        // (live mode, no linger): the last few frames of the 3 s may not arrive.
        XCTAssertGreaterThanOrEqual(video.count, 60, "about 3 s at 25 fps")
        XCTAssertGreaterThanOrEqual(audio.count, 90, "about 3 s of 1024-sample frames at 44.1 kHz")
        XCTAssertEqual(converter.demuxerCounters.continuityErrors, 0)
        let bytes = connections.first?.bytesReceived ?? 0
        XCTAssertGreaterThan(bytes, 50_000)
        let stats = try XCTUnwrap(lastStats)
        XCTAssertGreaterThan(stats.packetsReceived, 0)
        XCTAssertGreaterThan(stats.bytesReceived, 50_000)
        XCTAssertEqual(stats.packetsReceiveDropped, 0)
    }

    /// The play direction, as RTMP publishers will be played over SRT: ffmpeg's TS through the
    /// converter to FLV frames, then our TSMuxer (as HLS does), sent in real time to ffprobe
    /// and to an ffmpeg that decodes every frame.
    func testFFprobeAndFFmpegPlayWhatWeSend() throws {
        let listener = try self.listener()
        let chunks = try Self.remuxedFixture()
        var senders: [SRTConnection] = []
        var timers: [RepeatingTimer] = []
        listener.onAccept = { [loop] c in
            guard let id = try? SRTStreamID.parse(c.streamID), id.mode == .request else { return c.close() }
            senders.append(c)
            let start = loop!.now
            var next = 0
            let timer = loop!.repeating(everyMs: 10) {
                // Real time, 300 ms ahead.
                while next < chunks.count && chunks[next].ms <= loop!.now - start + 300 {
                    XCTAssertTrue(c.send(chunks[next].bytes[...]))
                    next += 1
                }
            }
            timers.append(timer)
            // The player leaves (ffprobe once it knows the streams).
            c.onClose = { _ in timer.cancel() }
        }
        defer { timers.forEach { $0.cancel() } }

        let url = srtURL(port: listener.port, streamID: "#!::r=live/test,m=request")
        let ffprobe = try ChildProcess("ffprobe", ["-v", "error", "-show_entries", "stream=codec_name,width,height,sample_rate",
                                                   "-of", "default=nw=1", url])
        defer { ffprobe.stop() }
        XCTAssertTrue(loop.run(timeoutMs: 20_000) { !ffprobe.isRunning }, "ffprobe should finish")
        let probed = ffprobe.output
        for expected in ["codec_name=h264", "width=320", "height=240", "codec_name=aac", "sample_rate=44100"] {
            XCTAssertTrue(probed.contains(expected), "ffprobe lacks \(expected):\n\(probed)")
        }

        let ffmpeg = try ChildProcess("ffmpeg", ["-v", "warning", "-i", url, "-t", "3", "-f", "null", "-"])
        defer { ffmpeg.stop() }
        XCTAssertTrue(loop.run(timeoutMs: 20_000) { !ffmpeg.isRunning }, "ffmpeg should finish")
        XCTAssertEqual(ffmpeg.process.terminationStatus, 0)
        XCTAssertEqual(ffmpeg.output.trimmingCharacters(in: .whitespacesAndNewlines), "", "ffmpeg complains")
        XCTAssertEqual(senders.count, 2)
        XCTAssertGreaterThan(senders.last?.bytesSent ?? 0, 100_000)
    }

    func testBadStreamIDIsRefusedAtTheHandshake() throws {
        let listener = try self.listener()
        var accepted = 0
        listener.onAccept = { c in
            accepted += 1
            c.close()
        }
        for (id, code) in [("#!::r=live/test,m=play", "1405"), ("#!::r=live/../x,m=publish", "1400")] {
            let ffmpeg = try ChildProcess("ffmpeg", ["-v", "error", "-re", "-i", try TSFixture.path(), "-t", "1", "-c", "copy",
                                                     "-f", "mpegts", srtURL(port: listener.port, streamID: id)])
            defer { ffmpeg.stop() }
            XCTAssertTrue(loop.run(timeoutMs: 15_000) { !ffmpeg.isRunning }, "ffmpeg should give up")
            XCTAssertNotEqual(ffmpeg.process.terminationStatus, 0)
            // ffmpeg's libsrt reports the rejection reason the listener set.
            XCTAssertTrue(ffmpeg.output.contains("reject") || ffmpeg.output.contains(code), ffmpeg.output)
        }
        XCTAssertEqual(accepted, 0)
        XCTAssertEqual(listener.accepted, 0)
    }

    func testPassphraseIsRequired() throws {
        var options = SRTSocketOptions()
        options.passphrase = "swiftsrs-secret"
        options.keyLength = 16
        let listener = try self.listener(options: options)
        var received = 0
        var connections: [SRTConnection] = []
        listener.onAccept = { c in
            connections.append(c)  // the owner keeps its connections: a released one is closed
            c.onMessage = { received += $0.count }
        }
        let id = "#!::r=live/secret,m=publish"

        let refused = try ChildProcess("ffmpeg", ["-v", "error", "-re", "-i", try TSFixture.path(), "-t", "1", "-c", "copy",
                                                  "-f", "mpegts", srtURL(port: listener.port, streamID: id)])
        defer { refused.stop() }
        XCTAssertTrue(loop.run(timeoutMs: 15_000) { !refused.isRunning })
        XCTAssertNotEqual(refused.process.terminationStatus, 0)
        XCTAssertEqual(listener.accepted, 0)

        let allowed = try ChildProcess("ffmpeg", ["-v", "error", "-re", "-i", try TSFixture.path(), "-t", "1", "-c", "copy",
                                                  "-f", "mpegts", srtURL(port: listener.port, streamID: id,
                                                                         extra: "passphrase=swiftsrs-secret&pbkeylen=16")])
        defer { allowed.stop() }
        XCTAssertTrue(loop.run(timeoutMs: 15_000) { received > 20_000 }, allowed.output)
        XCTAssertEqual(listener.accepted, 1)
        XCTAssertEqual(connections.count, 1)
    }

    /// The fixture as a player would get it: (dts in ms from the first frame, TS bytes).
    static func remuxedFixture() throws -> [(ms: Int64, bytes: [UInt8])] {
        var converter = TSFLVConverter()
        var frames: [TSFLVConverter.Frame] = []
        let ts = try TSFixture.bytes()
        for case .frame(let f) in converter.feed(ts) + converter.flush() { frames.append(f) }
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        var avc: AVCDecoderConfig?
        var aac: AACAudioConfig?
        var started = false
        var out: [(ms: Int64, bytes: [UInt8])] = []
        let base = Int64(frames.first?.timestamp ?? 0)
        for f in frames {
            let ms = Int64(f.timestamp) - base
            if f.type == FLVTagType.video {
                let info = try FLVVideoInfo.parse(f.payload)
                if info.isSequenceHeader {
                    avc = try AVCDecoderConfig.parse(f.payload[5...])
                    continue
                }
                guard let config = avc, started || info.isKeyframe else { continue }
                let annexB = try AnnexB.fromAVCC(payload: f.payload[5...], nalLengthSize: config.nalLengthSize, config: config,
                                                 keyframe: info.isKeyframe)
                var bytes = info.isKeyframe ? muxer.header() : []
                started = true
                bytes += muxer.writeVideo(dts: ms, pts: ms + Int64(info.compositionTime), keyframe: info.isKeyframe, annexB: annexB)
                out.append((ms, bytes))
            } else if f.isSequenceHeader {
                aac = try AACAudioConfig.parse(f.payload[2...])
            } else if started, let config = aac {
                let raw = f.payload[2...]
                out.append((ms, muxer.writeAudio(pts: ms, adts: config.adtsHeader(payloadLength: raw.count) + raw)))
            }
        }
        return out
    }
}
