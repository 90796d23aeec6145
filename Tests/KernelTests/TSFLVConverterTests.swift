import XCTest
@testable import Kernel

final class TSFLVConverterTests: XCTestCase {
    private let sps = AVCDecoderConfigTests.high640SPS
    private let pps = AVCDecoderConfigTests.high640PPS
    private let aac = AACAudioConfig(objectType: 2, sampleRate: 44100, channelConfiguration: 2)

    private func frames(_ outputs: [TSFLVConverter.Output]) -> [TSFLVConverter.Frame] {
        outputs.compactMap { if case .frame(let f) = $0 { return f } else { return nil } }
    }

    private func convert(_ ts: [UInt8], chunk: Int = 1316) -> (frames: [TSFLVConverter.Frame], converter: TSFLVConverter) {
        var converter = TSFLVConverter()
        var out: [TSFLVConverter.Output] = []
        for start in stride(from: 0, to: ts.count, by: chunk) { out += converter.feed(ts[start..<min(ts.count, start + chunk)]) }
        out += converter.flush()
        return (frames(out), converter)
    }

    /// An AVCC frame payload as RTMP carries it.
    private func avcc(keyframe: Bool, cts: Int32, nals: [[UInt8]]) -> [UInt8] {
        var w = ByteWriter()
        w.u8(keyframe ? 0x17 : 0x27)
        w.u8(1)
        w.u24(UInt32(bitPattern: cts) & 0xFF_FFFF)
        for n in nals {
            w.u32(UInt32(n.count))
            w.append(n)
        }
        return w.bytes
    }

    /// FLV frames → our TS muxer (as HLS does) → the converter gives the same frames back.
    func testRoundTripThroughOurMuxer() {
        let config = AVCDecoderConfig(sps: [sps], pps: [pps])
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        var ts = muxer.header()
        var expected: [TSFLVConverter.Frame] = [
            .init(type: 9, timestamp: 0, payload: [0x17, 0, 0, 0, 0] + config.bytes(), isSequenceHeader: true, isKeyframe: false),
        ]
        for i in 0..<10 {
            let keyframe = i % 5 == 0
            let dts = Int64(1000 + 40 * i)
            let cts: Int32 = i % 2 == 0 ? 80 : 0
            let nals = [TSTestStream.slice(type: keyframe ? 5 : 1, size: 300 + 200 * i, seed: UInt8(i)), [0x06, 0x05, 0x01, 0x80]]
            let flv = avcc(keyframe: keyframe, cts: cts, nals: nals)
            let annexB = try! AnnexB.fromAVCC(payload: flv[5...], nalLengthSize: 4, config: config, keyframe: keyframe)
            ts += muxer.writeVideo(dts: dts, pts: dts + Int64(cts), keyframe: keyframe, annexB: annexB)
            if i == 0 { expected[0].timestamp = UInt32(dts) }
            expected.append(.init(type: 9, timestamp: UInt32(dts), payload: flv, isSequenceHeader: false, isKeyframe: keyframe))
            let raw = (0..<(50 + i)).map { UInt8(truncatingIfNeeded: $0 * 5 + i) }
            ts += muxer.writeAudio(pts: dts + 3, adts: aac.adtsHeader(payloadLength: raw.count) + raw)
            if i == 0 {
                expected.append(.init(type: 8, timestamp: UInt32(dts + 3), payload: [0xAF, 0] + aac.bytes(),
                                      isSequenceHeader: true, isKeyframe: false))
            }
            expected.append(.init(type: 8, timestamp: UInt32(dts + 3), payload: [0xAF, 1] + raw, isSequenceHeader: false, isKeyframe: false))
        }
        for chunk in [188, 1316, 7 * 188 + 5] {
            let (got, converter) = convert(ts, chunk: chunk)
            // The converter emits video a PES late (its end is the next one's start): compare per type.
            XCTAssertEqual(got.filter { $0.type == 9 }, expected.filter { $0.type == 9 }, "chunk \(chunk)")
            XCTAssertEqual(got.filter { $0.type == 8 }, expected.filter { $0.type == 8 }, "chunk \(chunk)")
            XCTAssertEqual(converter.video?.pid, TSMuxer.videoPID)
            XCTAssertEqual(converter.audio?.pid, TSMuxer.audioPID)
            XCTAssertEqual(converter.droppedFrames, 0)
        }
    }

    func testSeveralADTSFramesInOnePESGetTheirOwnTimes() {
        let config = AACAudioConfig(objectType: 2, sampleRate: 48000, channelConfiguration: 1)
        var muxer = TSMuxer(hasVideo: false, hasAudio: true)
        let raws = (0..<4).map { i in [UInt8](repeating: UInt8(i + 1), count: 20 + i) }
        let ts = muxer.header() + muxer.writeAudio(pts: 500, adts: raws.flatMap { config.adtsHeader(payloadLength: $0.count) + $0 })
        let got = convert(ts).frames
        XCTAssertEqual(got.map(\.timestamp), [500, 500, 521, 542, 564], "1024 samples at 48 kHz = 21.33 ms each")
        XCTAssertEqual(got.first?.payload, [0xAF, 0] + config.bytes())
        XCTAssertEqual(got.dropFirst().map { Array($0.payload.dropFirst(2)) }, raws)
    }

    func testGarbageBetweenADTSFramesIsSkipped() {
        var muxer = TSMuxer(hasVideo: false, hasAudio: true)
        let raw: [UInt8] = Array(repeating: 0x42, count: 30)
        let frame = aac.adtsHeader(payloadLength: raw.count) + raw
        // Garbage, a frame, garbage with a false syncword, a frame, a frame cut short.
        let pesData = [1, 2, 3] + frame + [0xFF, 0xF1, 0x00] + frame + Array(frame.prefix(20))
        let (got, converter) = convert(muxer.header() + muxer.writeAudio(pts: 0, adts: pesData))
        XCTAssertEqual(got.filter { !$0.isSequenceHeader }.map(\.payload), [[0xAF, 1] + raw, [0xAF, 1] + raw])
        XCTAssertEqual(converter.droppedFrames, 1)
    }

    func testVideoBeforeParameterSetsIsDroppedAndHeaderRepeatsOnlyOnChange() {
        var muxer = TSMuxer(hasVideo: true, hasAudio: false)
        var ts = muxer.header()
        let slice = TSTestStream.slice(type: 1, size: 100, seed: 1)
        let idr = TSTestStream.slice(type: 5, size: 100, seed: 2)
        let otherSPS = AVCDecoderConfigTests.baseline720SPS
        ts += muxer.writeVideo(dts: 0, pts: 0, keyframe: false, annexB: TSTestStream.annexB(slices: [slice]))
        ts += muxer.writeVideo(dts: 40, pts: 40, keyframe: true, annexB: TSTestStream.annexB(sps: sps, pps: pps, slices: [idr]))
        ts += muxer.writeVideo(dts: 80, pts: 80, keyframe: true, annexB: TSTestStream.annexB(sps: sps, pps: pps, slices: [idr]))
        ts += muxer.writeVideo(dts: 120, pts: 120, keyframe: true, annexB: TSTestStream.annexB(sps: otherSPS, pps: pps, slices: [idr]))
        let (got, converter) = convert(ts)
        XCTAssertEqual(got.map(\.timestamp), [40, 40, 80, 120, 120])
        XCTAssertEqual(got.map(\.isSequenceHeader), [true, false, false, true, false])
        XCTAssertEqual(got.map(\.isKeyframe), [false, true, true, false, true])
        XCTAssertEqual(got[3].payload, [0x17, 0, 0, 0, 0] + AVCDecoderConfig(sps: [otherSPS], pps: [pps]).bytes())
        XCTAssertEqual(got[1].payload, avcc(keyframe: true, cts: 0, nals: [idr]), "no AUD, SPS or PPS left in the frame")
        XCTAssertEqual(converter.droppedFrames, 1)
    }

    func testHEVCAndOtherStreamsAreAnnouncedUnsupported() {
        var converter = TSFLVConverter()
        let out = converter.feed(TSTestStream.pat() + TSTestStream.pmt([(0x24, 0x100), (0x0F, 0x101), (0x03, 0x102)]))
        XCTAssertEqual(out, [.unsupported(TSElementaryStream(pid: 0x100, streamType: 0x24)),
                             .unsupported(TSElementaryStream(pid: 0x102, streamType: 0x03))])
        XCTAssertNil(converter.video)
        XCTAssertEqual(converter.audio?.pid, 0x101)
        XCTAssertEqual(TSElementaryStream(pid: 0x100, streamType: 0x24).codecName, "HEVC")
    }

    func testTimestampsContinueAcrossThe33BitWrap() {
        var muxer = TSMuxer(hasVideo: false, hasAudio: true)
        var ts = muxer.header()
        let wrapMs = (Int64(1) << 33) / 90  // 95443717 ms
        let raw: [UInt8] = [1, 2, 3]
        for pts in [wrapMs - 40, wrapMs - 20, wrapMs + 1, wrapMs + 21] {
            ts += muxer.writeAudio(pts: pts, adts: aac.adtsHeader(payloadLength: raw.count) + raw)
        }
        let got = convert(ts).frames.filter { !$0.isSequenceHeader }.map { Int64($0.timestamp) }
        XCTAssertEqual(got.count, 4)
        XCTAssertEqual(zip(got.dropFirst(), got).map { $0 - $1 }, [20, 21, 20], "no jump back at the wrap")
    }

    func testHostileBytesNeverTrap() {
        var random = FastRandom(seed: 7)
        var muxer = TSMuxer(hasVideo: true, hasAudio: true)
        var valid = muxer.header()
        for i in 0..<20 {
            valid += muxer.writeVideo(dts: Int64(i * 40), pts: Int64(i * 40), keyframe: i % 10 == 0,
                                      annexB: TSTestStream.annexB(sps: sps, pps: pps, slices: [TSTestStream.slice(type: 5, size: 400, seed: UInt8(i))]))
            valid += muxer.writeAudio(pts: Int64(i * 40), adts: aac.adtsHeader(payloadLength: 40) + random.bytes(40))
        }
        for _ in 0..<200 {
            var input = valid
            // Corrupt the payloads (not the packet headers): NAL and ADTS parsing see garbage.
            for _ in 0..<60 {
                let i = Int.random(in: 0..<input.count, using: &random)
                if i % 188 >= 4 { input[i] = UInt8.random(in: 0...255, using: &random) }
            }
            var converter = TSFLVConverter(maxPESBytes: 64 << 10)
            for start in stride(from: 0, to: input.count, by: 1316) {
                for case .frame(let f) in converter.feed(input[start..<min(input.count, start + 1316)]) {
                    XCTAssertLessThanOrEqual(f.payload.count, 64 << 10)
                }
            }
            _ = converter.flush()
        }
    }
}
