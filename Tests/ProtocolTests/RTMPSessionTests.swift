import Kernel
import XCTest
@testable import Protocol

/// Both roles of `RTMPSession` talking to each other in memory.
final class RTMPSessionTests: XCTestCase {
    static let publishOptions = RTMPClientOptions(mode: .publish, tcUrl: "rtmp://127.0.0.1/live?vhost=v", streamName: "s?token=t",
                                                  flashVer: "FMLE/3.0 (compatible; test)", chunkSize: 60000)
    static let playOptions = RTMPClientOptions(mode: .play, tcUrl: "rtmp://127.0.0.1:1935/live", app: "live", streamName: "s",
                                               flashVer: "LNX 9,0,124,2")
    static let sampleAccess = RTMPStatus.data(streamID: 1, values: [.string("|RtmpSampleAccess"), .boolean(true), .boolean(true)])

    func testFullPublishWithComplexHandshake() throws {
        var pair = SessionPair(Self.publishOptions)
        try pair.run()
        XCTAssertEqual(pair.client.stage, .started)
        XCTAssertEqual(pair.server.stage, .connected)
        XCTAssertTrue(pair.server.isFMLE)
        XCTAssertEqual(pair.server.outChunkSize, 60000)
        XCTAssertEqual(pair.client.outChunkSize, 60000)
        guard pair.serverEvents.count == 3, case .connect(let connect) = pair.serverEvents[1] else {
            return XCTFail("\(pair.serverEvents)")
        }
        XCTAssertEqual(pair.serverEvents[0], .handshakeDone(complex: true))
        XCTAssertEqual(connect.commandObject["app"]?.stringValue, "live?vhost=v")
        XCTAssertEqual(connect.commandObject["tcUrl"]?.stringValue, "rtmp://127.0.0.1/live?vhost=v")
        XCTAssertEqual(connect.commandObject["flashVer"]?.stringValue, "FMLE/3.0 (compatible; test)")
        XCTAssertEqual(pair.serverEvents[2], .publish(stream: "s?token=t"))
        XCTAssertEqual(pair.clientEvents, [.handshakeDone(complex: true), .connected, .streamCreated(1), .started])

        // Media goes through in order, with timestamps; the ack window is not reached.
        let sent = [SessionMedia.videoHeader, SessionMedia.keyframe(40, size: 70000), SessionMedia.audio(43),
                    RTMPMessage(type: RTMPMessageType.amf0Data, streamID: 1, chunkStreamID: 5,
                                payload: AMF0.encode([.string("@setDataFrame"), .string("onMetaData"), .ecmaArray([])]))]
        for m in sent { pair.client.sendMedia(m) }
        pair.serverEvents = []
        try pair.run()
        let got: [RTMPMessage] = pair.serverEvents.compactMap {
            switch $0 {
            case .media(let m), .data(let m): return m
            default: return nil
            }
        }
        XCTAssertEqual(got.map(\.payload), sent.map(\.payload))
        XCTAssertEqual(got.map(\.timestamp), [0, 40, 43, 0])
        XCTAssertEqual(got.map(\.chunkStreamID), [6, 6, 7, 5])

        // Unpublish: FCUnpublish is answered (SRS's three messages), then deleteStream.
        pair.serverEvents = []
        pair.client.unpublish()
        let unpublish = pair.client.takeOutput()
        XCTAssertEqual(names(try decodeMessages(unpublish)), ["FCUnpublish", "deleteStream"])
        try pair.server.feed(unpublish)
        try pair.drainServer()
        XCTAssertEqual(pair.serverEvents, [.unpublish, .deleteStream])
        XCTAssertEqual(names(try decodeMessages(pair.server.takeOutput())),
                       ["onFCUnpublish NetStream.Unpublish.Success", "_result", "onStatus NetStream.Unpublish.Success"])
        XCTAssertEqual(pair.client.stage, .ended)
    }

    func testFullPlayWithSimpleHandshake() throws {
        var pair = SessionPair(Self.playOptions, seed: 7)
        pair.simpleHandshake = true
        try pair.run()
        XCTAssertEqual(pair.serverEvents.first, .handshakeDone(complex: false))
        XCTAssertEqual(pair.serverEvents.last, .play(stream: "s"))
        XCTAssertFalse(pair.server.isFMLE)
        XCTAssertEqual(pair.clientEvents, [.handshakeDone(complex: false), .connected, .streamCreated(1),
                                           .status(code: "NetStream.Play.Reset", description: "Playing and resetting stream."),
                                           .started, .data(Self.sampleAccess)])
        XCTAssertEqual(pair.client.stage, .started)

        // What the server's owner sends, encoded once outside the session, reaches the player;
        // |RtmpSampleAccess came before any of it.
        pair.clientEvents = []
        try pair.serverSendsMedia(SessionMedia.videoHeader)
        try pair.serverSendsMedia(SessionMedia.keyframe(0, size: 100_000))
        try pair.serverSendsMedia(SessionMedia.audio(20))
        let media = pair.clientEvents.compactMap { e -> RTMPMessage? in
            if case .media(let m) = e { return m }
            return nil
        }
        XCTAssertEqual(media.map(\.payload), [SessionMedia.videoHeader, SessionMedia.keyframe(0, size: 100_000), SessionMedia.audio(20)].map(\.payload))
        // A player says nothing more than its acknowledgements: none yet (window 2500000).
        XCTAssertFalse(pair.client.hasOutput)
    }

    func testServerAnswersInOrderWhenCommandsArePipelined() throws {
        var server = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 3))
        try handshake(&server)
        let connect = RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([AMF0Property("tcUrl", .string("rtmp://h/live"))]))
        var bytes: [UInt8] = []
        for m in [connect.message(), RTMPCommand(name: "releaseStream", transactionID: 2, arguments: [.string("s")]).message(),
                  RTMPCommand(name: "createStream", transactionID: 3).message(),
                  RTMPCommand(name: "publish", transactionID: 4, arguments: [.string("s"), .string("live")]).message(streamID: 1, chunkStreamID: 8),
                  SessionMedia.videoHeader] {
            bytes += RTMPChunkEncoder.encode(m, chunkSize: 128)
        }
        try server.feed(bytes)
        var events: [RTMPSessionEvent] = []
        while let e = try server.nextEvent() {
            events.append(e)
            SessionPair.acceptAll(&server, e)
        }
        XCTAssertEqual(events.count, 4)
        XCTAssertEqual(events[0], .handshakeDone(complex: true))
        XCTAssertEqual(events[2], .publish(stream: "s"))
        XCTAssertEqual(events[3], .media(SessionMedia.videoHeader))
        XCTAssertEqual(names(try decodeMessages(server.takeOutput())), [
            "type 5", "type 6", "type 1", "_result", "onBWDone", "_result", "_result",
            "onFCPublish NetStream.Publish.Start", "onStatus NetStream.Publish.Start"])
    }

    func testDecisionHoldsLaterMessagesUntilAnswered() throws {
        var server = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 4))
        try handshake(&server)
        let connect = RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([AMF0Property("tcUrl", .string("rtmp://h/live"))]))
        try server.feed(RTMPChunkEncoder.encode(connect.message(), chunkSize: 128)
                        + RTMPChunkEncoder.encode(RTMPCommand(name: "createStream", transactionID: 2).message(), chunkSize: 128))
        XCTAssertEqual(try server.nextEvent(), .handshakeDone(complex: true))
        XCTAssertEqual(try server.nextEvent(), .connect(connect))
        XCTAssertNil(try server.nextEvent())
        XCTAssertEqual(server.stage, .decide(.connect))
        // A ping while waiting waits too: nothing goes out before the answer.
        try server.feed(RTMPChunkEncoder.encode(RTMPControl.userControl(event: RTMPControl.pingRequest, value: 9), chunkSize: 128))
        XCTAssertNil(try server.nextEvent())
        XCTAssertFalse(server.hasOutput)
        server.acceptConnect(chunkSize: 4096, data: [])
        XCTAssertNil(try server.nextEvent())
        XCTAssertEqual(names(try decodeMessages(server.takeOutput())), ["type 5", "type 6", "type 1", "_result", "onBWDone", "_result", "type 4"])

        // A client that floods while its connect is checked is cut off.
        var flooded = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 5))
        try handshake(&flooded)
        try flooded.feed(RTMPChunkEncoder.encode(connect.message(), chunkSize: 128))
        while try flooded.nextEvent() != nil {}
        let ping = RTMPChunkEncoder.encode(RTMPControl.userControl(event: RTMPControl.pingRequest, value: 1), chunkSize: 128)
        for _ in 0..<RTMPSession.maxHeldMessages { try flooded.feed(ping) }
        XCTAssertThrowsError(try flooded.feed(ping)) { XCTAssertEqual($0 as? RTMPError, .limit("more than 64 messages while connect waits for an answer")) }
    }

    func testRejectionsEndBothSessions() throws {
        var pair = SessionPair(Self.playOptions)
        pair.serverOwner = { s, e in
            if case .connect = e { s.rejectConnect(description: "vhost x not found") }
        }
        try pair.run()
        XCTAssertEqual(pair.clientEvents.last, .rejected(code: "NetConnection.Connect.Rejected", description: "vhost x not found"))
        XCTAssertEqual(pair.client.stage, .ended)
        XCTAssertEqual(pair.server.stage, .ended)

        var busy = SessionPair(Self.publishOptions)
        busy.serverOwner = { s, e in
            if case .publish = e { s.rejectStream(code: "NetStream.Publish.BadName", description: "Stream /live/s is already publishing.") }
            else { SessionPair.acceptAll(&s, e) }
        }
        try busy.run()
        XCTAssertEqual(busy.clientEvents.last, .rejected(code: "NetStream.Publish.BadName", description: "Stream /live/s is already publishing."))
        // Input after the end is ignored on both sides.
        try busy.server.feed([0xFF, 0xFF, 0xFF])
        XCTAssertNil(try busy.server.nextEvent())
    }

    func testRedirectAfterPlayStart() throws {
        var pair = SessionPair(Self.playOptions)
        pair.serverOwner = { s, e in
            SessionPair.acceptAll(&s, e)
            if case .play = e { s.redirect(to: "rtmp://10.0.0.2:19352/live/s?k=v") }
        }
        try pair.run()
        XCTAssertEqual(Array(pair.clientEvents.suffix(3)), [.started, .data(Self.sampleAccess), .redirected(url: "rtmp://10.0.0.2:19352/live/s?k=v")])
        XCTAssertEqual(pair.client.stage, .ended)

        // SRS 3's form: `_error` with only ex.redirect.
        var client = RTMPSession(role: .client(Self.playOptions), time: 0, random: FastRandom(seed: 9))
        client.start()
        var server = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 10))
        try server.feed(client.takeOutput())
        try client.feed(server.takeOutput())
        XCTAssertEqual(try client.nextEvent(), .handshakeDone(complex: true))
        let ex: AMF0Value = .object([AMF0Property("code", .number(302)), AMF0Property("redirect", .string("rtmp://o:1935/live"))])
        let error = RTMPCommand(name: "_error", transactionID: 1, arguments: [
            RTMPStatus.info(level: "error", code: "NetConnection.Connect.Rejected", description: "RTMP 302 Redirect", extra: [AMF0Property("ex", ex)])])
        try client.feed(RTMPChunkEncoder.encode(error.message(), chunkSize: 128))
        XCTAssertEqual(try client.nextEvent(), .redirected(url: "rtmp://o:1935/live"))
    }

    func testServerAcknowledgesExactlyAtTheWindow() throws {
        var server = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 11))
        try handshake(&server)
        while try server.nextEvent() != nil {}
        let window: UInt32 = 5000
        try server.feed(RTMPChunkEncoder.encode(RTMPControl.windowAckSize(window), chunkSize: 128))
        // Fill up to one byte short of the window with a large message's bytes.
        let big = RTMPChunkEncoder.encode(SessionMedia.keyframe(0, size: 20_000), chunkSize: 128)
        var offset = 0
        let upTo = Int(window) - 1 - Int(server.bytesReceived)
        try server.feed(Array(big[0..<upTo]))
        offset = upTo
        XCTAssertNil(try server.nextEvent())
        XCTAssertFalse(server.hasOutput, "no ack one byte before the window")
        try server.feed([big[offset]])
        offset += 1
        XCTAssertNil(try server.nextEvent())
        XCTAssertEqual(try decodeMessages(server.takeOutput()), [RTMPControl.acknowledgement(window)])
        // The next one comes a full window later, not half a window.
        try server.feed(Array(big[offset..<(offset + 2500)]))
        offset += 2500
        XCTAssertNil(try server.nextEvent())
        XCTAssertFalse(server.hasOutput)
        try server.feed(Array(big[offset..<(offset + 2500)]))
        XCTAssertNil(try server.nextEvent())
        XCTAssertEqual(try decodeMessages(server.takeOutput()), [RTMPControl.acknowledgement(2 * window)])
    }

    func testPlayerAcknowledgesTheServersFullWindow() throws {
        var pair = SessionPair(Self.playOptions)
        try pair.run()
        // SRS's window is 2500000: half of it (srs-bench used to ack there) brings no ack.
        let frame = SessionMedia.keyframe(0, size: 50_000)
        while pair.client.bytesReceived < 1_300_000 { try pair.serverSendsMedia(frame) }
        XCTAssertFalse(pair.client.hasOutput)
        while pair.client.bytesReceived < 2_500_000 { try pair.serverSendsMedia(frame) }
        let acks = try decodeMessages(pair.client.takeOutput())
        XCTAssertEqual(acks.count, 1)
        XCTAssertEqual(acks.first?.type, RTMPMessageType.acknowledgement)
        var r = ByteReader(acks[0].payload)
        XCTAssertEqual(UInt64(try r.u32()), pair.client.bytesReceived)
    }

    func testPingIsAnsweredOnBothSides() throws {
        var pair = SessionPair(Self.playOptions)
        try pair.run()
        let ping = RTMPChunkEncoder.encode(RTMPControl.userControl(event: RTMPControl.pingRequest, value: 0xCAFE), chunkSize: 60000)
        try pair.toClient(ping)
        XCTAssertEqual(try decodeMessages(pair.client.takeOutput()), [RTMPControl.userControl(event: RTMPControl.pingResponse, value: 0xCAFE)])
        try pair.server.feed(RTMPChunkEncoder.encode(RTMPControl.userControl(event: RTMPControl.pingRequest, value: 7), chunkSize: 128))
        try pair.drainServer()
        XCTAssertEqual(try decodeMessages(pair.server.takeOutput()), [RTMPControl.userControl(event: RTMPControl.pingResponse, value: 7)])
    }

    func testChunkSizeChangesMidStreamFedByteByByte() throws {
        var pair = SessionPair(Self.playOptions)
        try pair.run()
        var bytes: [UInt8] = []
        var sent: [RTMPMessage] = []
        var current = pair.server.outChunkSize
        for (i, size) in [128, 1, 4096, 65536, 60000].enumerated() {
            bytes += RTMPChunkEncoder.encode(RTMPControl.setChunkSize(UInt32(size)), chunkSize: current)
            current = size
            for m in [SessionMedia.keyframe(UInt32(i * 40), size: 5000), SessionMedia.audio(UInt32(i * 40 + 20))] {
                bytes += RTMPChunkEncoder.encode(m, chunkSize: size)
                sent.append(m)
            }
        }
        pair.clientEvents = []
        for b in bytes { try pair.toClient([b]) }
        let got = pair.clientEvents.compactMap { e -> RTMPMessage? in
            if case .media(let m) = e { return m }
            return nil
        }
        XCTAssertEqual(got, sent)
    }

    func testAggregateIsSplitIntoItsTags() throws {
        var pair = SessionPair(Self.playOptions)
        try pair.run()
        var w = ByteWriter()
        for (type, ts, payload) in [(UInt8(9), UInt32(1000), [UInt8](SessionMedia.keyframe(0).payload)), (8, 1020, [0xAF, 1, 2]), (18, 1000, [2, 0, 1, 0x41])] {
            w.u8(type)
            w.u24(UInt32(payload.count))
            w.u24(ts & 0xFFFFFF)
            w.u8(0)
            w.u24(0)
            w.append(payload)
            w.u32(UInt32(11 + payload.count))
        }
        pair.clientEvents = []
        try pair.serverSendsMedia(RTMPMessage(type: RTMPMessageType.aggregate, timestamp: 5000, chunkStreamID: 6, payload: w.bytes))
        XCTAssertEqual(pair.clientEvents.count, 3)
        guard case .media(let v) = pair.clientEvents[0], case .media(let a) = pair.clientEvents[1], case .data(let d) = pair.clientEvents[2] else {
            return XCTFail("\(pair.clientEvents)")
        }
        XCTAssertEqual([v.timestamp, a.timestamp, d.timestamp], [5000, 5020, 5000])
        XCTAssertEqual(a.payload, [0xAF, 1, 2])
    }

    /// C0C1 from a client session, C2 of zeros: the server session is past its handshake.
    private func handshake(_ server: inout RTMPSession) throws {
        var client = RTMPSession(role: .client(Self.playOptions), time: 0, random: FastRandom(seed: 99))
        client.start()
        try server.feed(client.takeOutput())
        _ = server.takeOutput()
        try server.feed([UInt8](repeating: 0, count: RTMPHandshake.c2Size))
    }
}
