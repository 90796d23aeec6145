import Foundation
import Kernel
import Protocol
import System
import XCTest
@testable import App
import Core

/// What a hostile or broken publisher sends goes through the chunk decoder, AMF0, the metadata
/// rewrite, the codec parsers, the live source with its GOP cache, the RTMP and FLV encoders for
/// players and the HLS writer (AnnexB conversion, TS muxer, files). Random bytes and mutated
/// valid streams, from fixed seeds, must only ever end in a thrown error or a message dropped,
/// never a trap: a trap would end the worker and every other stream on it.
final class PublisherInputFuzzTests: XCTestCase {
    // A real x264 SPS/PPS (320x240, High) and AAC-LC 44.1 kHz stereo.
    static let sps: [UInt8] = [0x67, 0x64, 0x00, 0x0D, 0xAC, 0xD9, 0x41, 0x41, 0xFB, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00,
                               0x10, 0x00, 0x00, 0x03, 0x03, 0x20, 0xF1, 0x42, 0x99, 0x60]
    static let pps: [UInt8] = [0x68, 0xEB, 0xE3, 0xCB, 0x22, 0xC0]
    static let videoHeader: [UInt8] = [0x17, 0x00, 0, 0, 0] + AVCDecoderConfig(sps: [sps], pps: [pps]).bytes()
    static let audioHeader: [UInt8] = [0xAF, 0x00] + AACAudioConfig(objectType: 2, sampleRate: 44100, channelConfiguration: 2).bytes()
    static let metadata: [UInt8] = AMF0.encode([.string("@setDataFrame"), .string("onMetaData"),
                                                .object([AMF0Property("width", .number(320)), AMF0Property("encoder", .string("x"))])])

    /// A plausible stream: sequence headers, metadata, keyframes and frames with 4-byte NAL
    /// lengths, raw AAC.
    static func validMessages(_ rng: inout FastRandom) -> [MediaMessage] {
        var out = [MediaMessage(type: 18, timestamp: 0, payload: metadata),
                   MediaMessage(type: 9, timestamp: 0, payload: videoHeader),
                   MediaMessage(type: 8, timestamp: 0, payload: audioHeader)]
        for i in 0..<60 {
            let key = i % 25 == 0
            let nal: [UInt8] = [key ? 0x65 : 0x41] + (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let length = withUnsafeBytes(of: UInt32(nal.count).bigEndian, Array.init)
            out.append(MediaMessage(type: 9, timestamp: UInt32(i * 40), payload: [key ? 0x17 : 0x27, 0x01, 0, 0, 0x28] + length + nal))
            out.append(MediaMessage(type: 8, timestamp: UInt32(i * 40 + 5),
                                    payload: [0xAF, 0x01] + (0..<Int(rng.next() % 200)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }))
        }
        return out
    }

    static func mutate(_ bytes: [UInt8], _ rng: inout FastRandom) -> [UInt8] {
        var b = bytes
        switch rng.next() % 4 {
        case 0 where !b.isEmpty:
            for _ in 0..<(1 + rng.next() % 6) { b[Int(rng.next() % UInt64(b.count))] = UInt8(truncatingIfNeeded: rng.next()) }
        case 1 where !b.isEmpty:
            b.removeLast(Int(rng.next() % UInt64(b.count)))
        case 2:
            b += (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        default:
            b = (0..<Int(rng.next() % 128)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        }
        return b
    }

    /// Media (valid, mutated, random) into a source with a GOP cache, an HLS writer writing
    /// real files, and the encoders players use.
    func testMediaFromAPublisherNeverTraps() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-hls-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: dir) }
        let loop = try EventLoop()
        var hls = HLSConfig()
        hls.enabled = true
        hls.fragment = 0.2
        hls.window = 1
        hls.path = dir.path
        var rng = FastRandom(seed: 7)
        var written = 0
        for round in 0..<300 {
            let source = LiveSource(key: StreamKey(vhost: "v", app: "live", stream: "s\(round % 5)"), now: 0)
            XCTAssertTrue(source.publish(cid: "fuzz", now: 0))
            let writer = HLSWriter(key: source.key, config: hls, loop: loop)
            writer.sourcePublished()
            source.addConsumer(writer, now: 0)
            for m in Self.validMessages(&rng) {
                let payload = round % 3 == 0 ? m.payload : (rng.next() % 3 == 0 ? Self.mutate(m.payload, &rng) : m.payload)
                let ts = rng.next() % 10 == 0 ? UInt32(truncatingIfNeeded: rng.next()) : m.timestamp
                let msg = MediaMessage(type: m.type, timestamp: ts, payload: payload)
                if msg.isData {
                    _ = MediaMessage.playerMetadata(RTMPMessage(type: msg.type, streamID: 1, timestamp: ts, payload: payload))
                }
                source.onMessage(msg)
                _ = msg.rtmp(chunkSize: 128)
                _ = msg.flvChunk()
            }
            _ = StreamCodecs.video(fromSequenceHeader: Self.mutate(Self.videoHeader, &rng))
            _ = StreamCodecs.audio(fromSequenceHeader: Self.mutate(Self.audioHeader, &rng))
            // A late player's start: whatever the GOP cache kept.
            let late = Recorder()
            source.addConsumer(late, now: 0)
            source.unpublish(now: 0)
            writer.flush()
            written = (try? FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("live").path))?
                .filter { $0.hasSuffix(".ts") }.count ?? written
        }
        XCTAssertGreaterThan(written, 0, "the rounds never reached the TS muxer")
    }

    /// The RTMP chunk stream and the AMF0 commands in it, from random bytes or mutated valid
    /// chunks fed in random pieces: a thrown error (the connection is closed) or messages.
    func testChunkStreamAndCommandsNeverTrap() {
        var rng = FastRandom(seed: 11)
        let connect = AMF0.encode([.string("connect"), .number(1),
                                   .object([AMF0Property("app", .string("live")), AMF0Property("tcUrl", .string("rtmp://h/live"))])])
        var valid: [UInt8] = []
        for (i, m) in [RTMPMessage(type: 20, payload: connect),
                       RTMPMessage(type: 9, streamID: 1, timestamp: 40, chunkStreamID: 6, payload: Self.videoHeader),
                       RTMPMessage(type: 1, chunkStreamID: 2, payload: [0, 0, 0x10, 0]),
                       RTMPMessage(type: 8, streamID: 1, timestamp: 90_000_000, chunkStreamID: 4, payload: Self.audioHeader)].enumerated() {
            valid += RTMPChunkEncoder.encode(m, chunkSize: i == 3 ? 4096 : 128)
        }
        for round in 0..<2000 {
            let input = round % 2 == 0 ? Self.mutate(valid, &rng)
                : (0..<Int(rng.next() % 4000)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var decoder = RTMPChunkDecoder()
            var i = 0
            while i < input.count {
                let n = min(input.count - i, 1 + Int(rng.next() % 300))
                do {
                    for m in try decoder.feed(Array(input[i..<(i + n)])) where m.type == 20 || m.type == 18 {
                        _ = try? AMF0.decodeAll(m.payload)
                        _ = try? RTMPCommand.decode(type: m.type, payload: m.payload)
                    }
                } catch {
                    break
                }
                i += n
            }
        }
    }

    /// The parsers behind them, one by one, on mutated valid inputs.
    func testCodecParsersNeverTrap() {
        var rng = FastRandom(seed: 13)
        let config = AVCDecoderConfig(sps: [Self.sps], pps: [Self.pps]).bytes()
        let aac = AACAudioConfig(objectType: 2, sampleRate: 44100, channelConfiguration: 2).bytes()
        for _ in 0..<20_000 {
            _ = try? AVCDecoderConfig.parse(Self.mutate(config, &rng))
            _ = try? H264SPS.parse(Self.mutate(Self.sps, &rng))
            _ = try? AACAudioConfig.parse(Self.mutate(aac, &rng))
            _ = try? FLVAudioInfo.parse(Self.mutate([0xAF, 0x01, 0x21], &rng))
            _ = try? FLVVideoInfo.parse(Self.mutate([0x17, 0x01, 0, 0, 0, 0, 0, 0, 1, 0x65], &rng))
            let frame = Self.mutate([0, 0, 0, 2, 0x65, 0x88, 0, 0, 0, 1, 0x06], &rng)
            let annexB = try? AnnexB.fromAVCC(payload: frame, nalLengthSize: 1 + Int(rng.next() % 4), config: nil, keyframe: true)
            var muxer = TSMuxer(hasVideo: true, hasAudio: true)
            _ = muxer.writeVideo(dts: Int64(bitPattern: rng.next() >> 1), pts: Int64(bitPattern: rng.next() >> 1),
                                 keyframe: true, annexB: annexB ?? frame)
            _ = muxer.writeAudio(pts: Int64(bitPattern: rng.next() >> 1), adts: Self.mutate(aac, &rng))
            _ = AnnexB.nalUnits(in: Self.mutate(frame, &rng))
        }
    }
}

/// A consumer that keeps nothing (the late player of the fuzz rounds).
private final class Recorder: LiveConsumer {
    func deliver(_ m: MediaMessage) {}
    func sourcePublished() {}
    func sourceUnpublished() {}
}
