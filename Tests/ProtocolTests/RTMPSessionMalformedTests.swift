import Kernel
import XCTest
@testable import Protocol

/// `RTMPSession` refuses what breaks the protocol with an error (the connection is then
/// closed), and never traps on peer input.
final class RTMPSessionMalformedTests: XCTestCase {
    private let connect = RTMPCommand(name: "connect", transactionID: 1,
                                      commandObject: .object([AMF0Property("tcUrl", .string("rtmp://h/live"))])).message()

    /// A server session past its handshake, fed `messages`, with every decision accepted.
    private func serve(_ messages: [RTMPMessage]) throws {
        var server = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 1))
        var client = RTMPSession(role: .client(RTMPSessionTests.playOptions), time: 0, random: FastRandom(seed: 2))
        client.start()
        try server.feed(client.takeOutput() + [UInt8](repeating: 0, count: RTMPHandshake.c2Size))
        for m in messages {
            try server.feed(RTMPChunkEncoder.encode(m, chunkSize: 128))
            while let e = try server.nextEvent() { SessionPair.acceptAll(&server, e) }
        }
    }

    private func assertRefused(_ messages: [RTMPMessage], _ expected: RTMPError, line: UInt = #line) {
        XCTAssertThrowsError(try serve(messages), line: line) { XCTAssertEqual($0 as? RTMPError, expected, line: line) }
    }

    func testServerRefusesCommandsOutOfOrder() {
        let publish = RTMPCommand(name: "publish", transactionID: 2, arguments: [.string("s")]).message(streamID: 1, chunkStreamID: 8)
        let play = RTMPCommand(name: "play", transactionID: 0, arguments: [.string("s")]).message(streamID: 1, chunkStreamID: 8)
        assertRefused([publish], .malformed("publish before connect"))
        assertRefused([connect, connect], .malformed("second connect"))
        assertRefused([RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([])).message()],
                      .malformed("connect without tcUrl"))
        assertRefused([connect, RTMPCommand(name: "play", transactionID: 0, arguments: [.string("")]).message(streamID: 1)],
                      .malformed("play without a stream name"))
        assertRefused([connect, publish, play], .malformed("play on a busy connection"))
        assertRefused([RTMPMessage(type: RTMPMessageType.amf0Command, payload: AMF0.encode([.number(1)]))],
                      .malformed("command without a name"))
        // After deleteStream the connection may start another stream.
        XCTAssertNoThrow(try serve([connect, play, RTMPCommand(name: "deleteStream", transactionID: 3, arguments: [.number(1)]).message(), publish]))
    }

    func testTruncatedControlMessagesAreRefused() {
        XCTAssertThrowsError(try serve([RTMPMessage(type: RTMPMessageType.windowAckSize, chunkStreamID: 2, payload: [0, 1])]))
        XCTAssertThrowsError(try serve([RTMPMessage(type: RTMPMessageType.userControl, chunkStreamID: 2, payload: [0, 6, 1])]))
        XCTAssertThrowsError(try serve([RTMPMessage(type: RTMPMessageType.setChunkSize, chunkStreamID: 2, payload: [0, 0, 0, 0])]))
        // An unknown user control event, or one without its value, is no ping: nothing to answer.
        XCTAssertNoThrow(try serve([RTMPMessage(type: RTMPMessageType.userControl, chunkStreamID: 2, payload: [0, 3])]))
    }

    func testBadHandshakesAreRefused() {
        var server = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 3))
        XCTAssertThrowsError(try server.feed([6] + [UInt8](repeating: 0, count: 1536)))
        // A client gets nothing before it said hello, and wants a version 3 server.
        var idle = RTMPSession(role: .client(RTMPSessionTests.playOptions), time: 0, random: FastRandom(seed: 4))
        XCTAssertThrowsError(try idle.feed([3]))
        var client = RTMPSession(role: .client(RTMPSessionTests.playOptions), time: 0, random: FastRandom(seed: 5))
        client.start()
        XCTAssertThrowsError(try client.feed([UInt8](repeating: 9, count: RTMPHandshake.s0s1s2Size)))
        // A fresh chunk stream must start with a full header.
        var fresh = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 6))
        XCTAssertThrowsError(try fresh.feed([3] + [UInt8](repeating: 0, count: 1536 * 2) + [0x43, 0, 0, 0, 0, 0, 1, 20, 0]))
    }

    func testClientRefusesBadAnswers() throws {
        var pair = SessionPair(RTMPSessionTests.playOptions)
        pair.serverOwner = { _, _ in }
        try pair.run()
        XCTAssertEqual(pair.client.stage, .connect)
        let ok = RTMPCommand(name: "_result", transactionID: 1, arguments: [
            RTMPStatus.info(code: "NetConnection.Connect.Success", description: "ok")]).message()
        try pair.toClient(RTMPChunkEncoder.encode(ok, chunkSize: 128))
        XCTAssertEqual(pair.client.stage, .createStream)
        let noID = RTMPCommand(name: "_result", transactionID: 2, arguments: [.string("one")]).message()
        XCTAssertThrowsError(try pair.toClient(RTMPChunkEncoder.encode(noID, chunkSize: 128))) {
            XCTAssertEqual($0 as? RTMPError, .malformed("createStream result without a stream id"))
        }

        // An aggregate whose tag runs past its end.
        var playing = SessionPair(RTMPSessionTests.playOptions)
        try playing.run()
        let bad = RTMPMessage(type: RTMPMessageType.aggregate, chunkStreamID: 6, payload: [9, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0x17])
        XCTAssertThrowsError(try playing.serverSendsMedia(bad))
    }

    func testReleaseStreamErrorsAreIgnoredOthersReject() throws {
        // The server side never answers: the test does, by hand.
        var pair = SessionPair(RTMPSessionTests.publishOptions)
        pair.serverOwner = { _, _ in }
        try pair.run()
        func answer(_ name: String, _ txn: Double, _ args: [AMF0Value]) throws {
            try pair.toClient(RTMPChunkEncoder.encode(RTMPCommand(name: name, transactionID: txn, arguments: args).message(), chunkSize: 128))
        }
        try answer("_result", 1, [RTMPStatus.info(code: "NetConnection.Connect.Success", description: "ok")])
        XCTAssertEqual(names(try decodeMessages(pair.client.takeOutput())), ["releaseStream", "FCPublish", "createStream"])
        try answer("_error", 2, [RTMPStatus.info(level: "error", code: "NetConnection.Call.Failed", description: "no releaseStream")])
        try answer("_error", 3, [RTMPStatus.info(level: "error", code: "NetConnection.Call.Failed", description: "no FCPublish")])
        XCTAssertEqual(pair.client.stage, .createStream, "as ffmpeg, errors of releaseStream and FCPublish do not matter")
        try answer("_result", 4, [.number(1)])
        XCTAssertEqual(pair.client.stage, .start)
        try answer("_error", 5, [RTMPStatus.info(level: "error", code: "NetStream.Publish.Denied", description: "no")])
        XCTAssertEqual(pair.clientEvents.last, .rejected(code: "NetStream.Publish.Denied", description: "no"))
        XCTAssertEqual(pair.client.stage, .ended)
    }

    /// Valid exchanges with bytes flipped, cut and repeated, fed to both roles in random pieces:
    /// errors are fine, traps and runaway memory are not.
    func testMutatedStreamsNeverTrap() throws {
        var rng = FastRandom(seed: 0x5E55)
        let publish = RTMPCommand(name: "publish", transactionID: 2, arguments: [.string("s")]).message(streamID: 1, chunkStreamID: 8)
        var valid: [UInt8] = []
        for m in [connect, RTMPControl.setChunkSize(300), RTMPControl.windowAckSize(100), publish, SessionMedia.videoHeader,
                  SessionMedia.keyframe(40, size: 2000), RTMPControl.userControl(event: RTMPControl.pingRequest, value: 1)] {
            valid += RTMPChunkEncoder.encode(m, chunkSize: m.type == RTMPMessageType.setChunkSize || valid.isEmpty ? 128 : 300)
        }
        var handshaken = 0
        for round in 0..<100 {
            var bytes = valid
            for _ in 0..<(1 + Int(rng.next() % 8)) {
                let i = Int(rng.next() % UInt64(bytes.count))
                switch rng.next() % 3 {
                case 0: bytes[i] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.removeSubrange(i..<min(bytes.count, i + Int(rng.next() % 16)))
                default: bytes.insert(contentsOf: bytes[i..<min(bytes.count, i + 8)], at: i)
                }
                if bytes.isEmpty { bytes = [0] }
            }
            for role in [RTMPSession.Role.server, .client(RTMPSessionTests.playOptions)] {
                var s = RTMPSession(role: role, time: 0, random: FastRandom(seed: UInt64(round)))
                if case .client = role {
                    s.start()
                    var peer = RTMPSession(role: .server, time: 0, random: FastRandom(seed: 1))
                    try peer.feed(s.takeOutput())
                    try s.feed(peer.takeOutput())
                } else {
                    var peer = RTMPSession(role: .client(RTMPSessionTests.playOptions), time: 0, random: FastRandom(seed: 1))
                    peer.start()
                    try s.feed(peer.takeOutput() + [UInt8](repeating: 0, count: RTMPHandshake.c2Size))
                }
                var offset = 0
                do {
                    while offset < bytes.count {
                        let end = min(bytes.count, offset + 1 + Int(rng.next() % 700))
                        try s.feed(Array(bytes[offset..<end]))
                        offset = end
                        while let e = try s.nextEvent() { SessionPair.acceptAll(&s, e) }
                    }
                    handshaken += 1
                } catch {
                    XCTAssertTrue(error is RTMPError || error is KernelError, "\(error)")
                }
                _ = s.takeOutput()
            }
        }
        XCTAssertGreaterThan(handshaken, 0)
    }
}
