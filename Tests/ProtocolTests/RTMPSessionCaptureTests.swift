import Kernel
import XCTest
@testable import Protocol

/// `RTMPSession` against what real clients send: ffmpeg's bytes captured on the wire (see
/// `RTMPSessionCaptures.swift`), and an OBS-style exchange built from what librtmp writes.
final class RTMPSessionCaptureTests: XCTestCase {
    /// The `data` properties of the connect `_result` in `answers` (the server's version, pid
    /// and client id): the owner's part of the answer, given back to reproduce the bytes.
    private func connectData(_ answers: [UInt8]) throws -> [AMF0Property] {
        for m in try decodeMessages(answers) where m.type == RTMPMessageType.amf0Command {
            let cmd = try RTMPCommand.decode(type: m.type, payload: m.payload)
            if cmd.name == "_result", cmd.transactionID == 1, let data = cmd.arguments.first?["data"]?.properties { return data }
        }
        throw RTMPError.malformed("no connect _result")
    }

    /// Feeds ffmpeg's C0C1, a C2 and `body` to a server session that accepts everything.
    private func serve(_ body: [UInt8], data: [AMF0Property]) throws -> (events: [RTMPSessionEvent], output: [UInt8]) {
        var server = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 1))
        try server.feed(FFmpegCapture.ffmpegC0C1)
        XCTAssertEqual(server.takeOutput().count, RTMPHandshake.s0s1s2Size)
        try server.feed([UInt8](repeating: 0, count: RTMPHandshake.c2Size) + body)
        var events: [RTMPSessionEvent] = []
        while let e = try server.nextEvent() {
            events.append(e)
            switch e {
            case .connect: server.acceptConnect(chunkSize: 60000, data: data)
            case .publish: server.acceptPublish()
            case .play: server.acceptPlay()
            default: break
            }
        }
        return (events, server.takeOutput())
    }

    func testFFmpegPublishIsAnsweredByteForByteAsBefore() throws {
        let expected = FFmpegCapture.ourPublishAnswers
        let (events, output) = try serve(FFmpegCapture.ffmpegPublish, data: try connectData(expected))
        XCTAssertEqual(output, expected, "the session answers ffmpeg exactly as the server did before it")
        XCTAssertEqual(events.count, 9, "\(events)")
        XCTAssertEqual(events.first, .handshakeDone(complex: true))
        guard case .connect(let connect) = events[1] else { return XCTFail("\(events)") }
        XCTAssertEqual(connect.commandObject["type"]?.stringValue, "nonprivate")
        XCTAssertEqual(connect.commandObject["flashVer"]?.stringValue, "FMLE/3.0 (compatible; Lavf59.27.100)")
        XCTAssertEqual(connect.commandObject["tcUrl"]?.stringValue, "rtmp://127.0.0.1:19450/live")
        XCTAssertEqual(events[2], .publish(stream: "cap?token=abc"))
        guard case .data(let meta) = events[3], case .media(let avc) = events[4], case .media(let aac) = events[5],
              case .media(let frame) = events[6] else { return XCTFail("\(events)") }
        XCTAssertEqual(try AMF0.decodeAll(meta.payload).first, .string("@setDataFrame"))
        XCTAssertEqual(Array(avc.payload.prefix(2)), [0x17, 0x00])
        XCTAssertEqual(Array(aac.payload.prefix(2)), [0xAF, 0x00])
        XCTAssertEqual(Array(frame.payload.prefix(2)), [0xAF, 0x01])
        XCTAssertEqual(Array(events.suffix(3)), [.media(frame), .unpublish, .deleteStream])
    }

    func testFFmpegPlayIsAnsweredByteForByteAsBefore() throws {
        let expected = Array(FFmpegCapture.ourPlayAnswers[0..<854])
        let (events, output) = try serve(FFmpegCapture.ffmpegPlay, data: try connectData(expected))
        XCTAssertEqual(output, expected)
        XCTAssertEqual(names(try decodeMessages(output)), [
            "type 5", "type 6", "type 1", "_result", "onBWDone", "_result", "_result", "_result", "type 4",
            "onStatus NetStream.Play.Reset", "onStatus NetStream.Play.Start", "|RtmpSampleAccess"])
        XCTAssertEqual(events.count, 4, "\(events)")
        XCTAssertEqual(events[2], .play(stream: "p"))
        XCTAssertEqual(events[3], .deleteStream)
    }

    func testClientPlaysTheCapturedServerStream() throws {
        let options = RTMPClientOptions(mode: .play, tcUrl: "rtmp://127.0.0.1:19450/live", streamName: "p", flashVer: "LNX 9,0,124,2")
        var client = RTMPSession(role: .client(options), time: 0, random: FastRandom(seed: 2))
        client.start()
        var server = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 3))
        try server.feed(client.takeOutput())
        try client.feed(server.takeOutput())
        XCTAssertEqual(try client.nextEvent(), .handshakeDone(complex: true))
        let hello = client.takeOutput()
        XCTAssertEqual(names(try decodeMessages(Array(hello[RTMPHandshake.c2Size...]))), ["connect"])
        try client.feed(FFmpegCapture.ourPlayAnswers)
        var events: [RTMPSessionEvent] = []
        while let e = try client.nextEvent() { events.append(e) }
        XCTAssertEqual(Array(events.prefix(5)), [.connected, .streamCreated(1),
                                                 .status(code: "NetStream.Play.Reset", description: "Playing and resetting stream."),
                                                 .started,
                                                 .data(RTMPStatus.data(streamID: 1, values: [.string("|RtmpSampleAccess"), .boolean(true), .boolean(true)]))])
        guard events.count == 7, case .data(let meta) = events[5], case .media(let avc) = events[6] else { return XCTFail("\(events)") }
        XCTAssertEqual(try AMF0.decodeAll(meta.payload).first, .string("onMetaData"))
        XCTAssertEqual(Array(avc.payload.prefix(2)), [0x17, 0x00])
        XCTAssertEqual(names(try decodeMessages(client.takeOutput())), ["createStream", "play", "type 4"])
    }

    /// OBS (its librtmp): simple handshake, Set Chunk Size 4096 before `connect` (with `type`
    /// and `swfUrl`, no codecs), then releaseStream, FCPublish and createStream in one write with
    /// type-1 headers, `publish` on chunk stream 4, every FLV tag on chunk stream 4.
    func testOBSStylePublish() throws {
        var server = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 4))
        var c0c1: [UInt8] = [3, 0, 0, 0, 0, 0, 0, 0, 0]
        c0c1 += (0..<1528).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try server.feed(c0c1)
        let s0s1s2 = server.takeOutput()
        XCTAssertEqual(Array(s0s1s2[1537...]), Array(c0c1[1...]), "simple: S2 echoes C1")
        let tcUrl = "rtmp://live.example.com/app"
        let connect = RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
            AMF0Property("app", .string("app")), AMF0Property("type", .string("nonprivate")),
            AMF0Property("flashVer", .string("FMLE/3.0 (compatible; FMSc/1.0)")),
            AMF0Property("swfUrl", .string(tcUrl)), AMF0Property("tcUrl", .string(tcUrl))]))
        var bytes = Array(s0s1s2[1..<1537])
        bytes += RTMPChunkEncoder.encode(RTMPControl.setChunkSize(4096), chunkSize: 128)
        bytes += RTMPChunkEncoder.encode(connect.message(), chunkSize: 4096)
        bytes += type1Message(csid: 3, type: 20, payload: commandPayload("releaseStream", 2, .null, [.string("key")]), chunkSize: 4096)
        bytes += type1Message(csid: 3, type: 20, payload: commandPayload("FCPublish", 3, .null, [.string("key")]), chunkSize: 4096)
        bytes += type1Message(csid: 3, type: 20, payload: commandPayload("createStream", 4), chunkSize: 4096)
        bytes += RTMPChunkEncoder.encode(RTMPCommand(name: "publish", transactionID: 5, arguments: [.string("key"), .string("live")])
            .message(streamID: 1, chunkStreamID: 4), chunkSize: 4096)
        let meta = AMF0.encode([.string("@setDataFrame"), .string("onMetaData"), .ecmaArray([AMF0Property("width", .number(1280))])])
        bytes += RTMPChunkEncoder.encode(RTMPMessage(type: RTMPMessageType.amf0Data, streamID: 1, chunkStreamID: 4, payload: meta), chunkSize: 4096)
        bytes += type1Message(csid: 4, type: 9, payload: SessionMedia.videoHeader.payload, chunkSize: 4096)
        bytes += type1Message(csid: 4, type: 8, payload: [0xAF, 0, 0x12, 0x10], chunkSize: 4096)
        let keyframe = SessionMedia.keyframe(0, size: 9000).payload
        bytes += type1Message(csid: 4, delta: 33, type: 9, payload: keyframe, chunkSize: 4096)
        bytes += type1Message(csid: 3, type: 20, payload: commandPayload("FCUnpublish", 6, .null, [.string("key")]), chunkSize: 4096)
        bytes += type1Message(csid: 3, type: 20, payload: commandPayload("deleteStream", 7, .null, [.number(1)]), chunkSize: 4096)

        // Fed in uneven pieces, as TCP may deliver them.
        var events: [RTMPSessionEvent] = []
        var offset = 0
        var piece = 1
        while offset < bytes.count {
            let end = min(bytes.count, offset + piece)
            try server.feed(Array(bytes[offset..<end]))
            offset = end
            piece = piece * 3 + 7
            while let e = try server.nextEvent() {
                events.append(e)
                SessionPair.acceptAll(&server, e)
            }
        }
        XCTAssertEqual(events.count, 9, "\(events)")
        XCTAssertEqual(events.first, .handshakeDone(complex: false))
        XCTAssertEqual(events[2], .publish(stream: "key"))
        guard case .media(let frame) = events[6] else { return XCTFail("\(events)") }
        XCTAssertEqual(frame.timestamp, 33)
        XCTAssertEqual(frame.payload, keyframe)
        XCTAssertEqual(Array(events.suffix(2)), [.unpublish, .deleteStream])
        XCTAssertEqual(names(try decodeMessages(server.takeOutput())), [
            "type 5", "type 6", "type 1", "_result", "onBWDone", "_result", "_result", "_result",
            "onFCPublish NetStream.Publish.Start", "onStatus NetStream.Publish.Start",
            "onFCUnpublish NetStream.Unpublish.Success", "_result", "onStatus NetStream.Unpublish.Success"])
    }
}
