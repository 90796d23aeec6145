import Kernel
import XCTest
@testable import Protocol

/// Bytes of a hex string; whitespace and newlines are ignored.
func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.utf8.filter { !($0 == 0x20 || $0 == 0x0A) })
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var i = 0
    while i + 1 < digits.count {
        out.append(UInt8(String(decoding: digits[i...(i + 1)], as: UTF8.self), radix: 16) ?? 0)
        i += 2
    }
    return out
}

/// The messages in bytes a session wrote (its Set Chunk Size messages are followed).
func decodeMessages(_ bytes: [UInt8]) throws -> [RTMPMessage] {
    var d = RTMPChunkDecoder()
    return try d.feed(bytes)
}

/// A short name per message: the command name for commands, else `type N`.
func names(_ messages: [RTMPMessage]) -> [String] {
    messages.map { m in
        if m.type == RTMPMessageType.amf0Command, let cmd = try? RTMPCommand.decode(type: m.type, payload: m.payload) {
            if cmd.name == "onStatus" || cmd.name == "onFCPublish" || cmd.name == "onFCUnpublish" {
                return "\(cmd.name) \(cmd.arguments.first?["code"]?.stringValue ?? "")"
            }
            return cmd.name
        }
        if m.type == RTMPMessageType.amf0Data, let first = try? AMF0.decodeAll(m.payload).first?.stringValue { return first }
        return "type \(m.type)"
    }
}

/// A message with a type-1 first chunk (delta, length, type; the stream id stays the chunk
/// stream's), then type-3 chunks every `chunkSize` bytes, as librtmp (OBS) writes most messages.
func type1Message(csid: UInt8, delta: UInt32 = 0, type: UInt8, payload: [UInt8], chunkSize: Int) -> [UInt8] {
    var w = ByteWriter()
    w.u8(0x40 | csid)
    w.u24(delta)
    w.u24(UInt32(payload.count))
    w.u8(type)
    var off = 0
    while true {
        let take = min(chunkSize, payload.count - off)
        w.append(payload[off..<(off + take)])
        off += take
        if off >= payload.count { break }
        w.u8(0xC0 | csid)
    }
    return w.bytes
}

/// A command message payload.
func commandPayload(_ name: String, _ txn: Double, _ object: AMF0Value = .null, _ args: [AMF0Value] = []) -> [UInt8] {
    RTMPCommand(name: name, transactionID: txn, commandObject: object, arguments: args).message().payload
}

/// A server and a client session wired back to back in memory; the server's owner accepts
/// everything unless told otherwise.
struct SessionPair {
    var server: RTMPSession
    var client: RTMPSession
    var serverEvents: [RTMPSessionEvent] = []
    var clientEvents: [RTMPSessionEvent] = []
    /// What the server's owner does with each of its events.
    var serverOwner: (inout RTMPSession, RTMPSessionEvent) -> Void = SessionPair.acceptAll
    /// Zeroes the version of the client's C1 on the way, so both ends use the simple handshake.
    var simpleHandshake = false
    private var firstClientBytes = true

    init(_ options: RTMPClientOptions, seed: UInt64 = 1) {
        server = RTMPSession(role: .server, time: 1000, random: FastRandom(seed: seed))
        client = RTMPSession(role: .client(options), time: 2000, random: FastRandom(seed: seed + 1))
        client.start()
    }

    static func acceptAll(_ s: inout RTMPSession, _ e: RTMPSessionEvent) {
        switch e {
        case .connect: s.acceptConnect(chunkSize: 60000, data: [AMF0Property("srs_id", .string("test"))])
        case .publish: s.acceptPublish()
        case .play: s.acceptPlay()
        default: break
        }
    }

    /// Moves bytes both ways until neither end has anything to send.
    mutating func run() throws {
        for _ in 0..<100 {
            var moved = false
            if client.hasOutput {
                moved = true
                var bytes = client.takeOutput()
                if firstClientBytes && simpleHandshake { bytes[5..<9] = [0, 0, 0, 0] }
                firstClientBytes = false
                try server.feed(bytes)
                try drainServer()
            }
            if server.hasOutput {
                moved = true
                try toClient(server.takeOutput())
            }
            if !moved { return }
        }
        XCTFail("the sessions kept talking")
    }

    mutating func drainServer() throws {
        while let e = try server.nextEvent() {
            serverEvents.append(e)
            serverOwner(&server, e)
        }
    }

    /// Bytes for the client, as the server's owner writes media: encoded once, outside the session.
    mutating func toClient(_ bytes: [UInt8]) throws {
        try client.feed(bytes)
        while let e = try client.nextEvent() { clientEvents.append(e) }
    }

    /// A media message the server's owner sends its player, encoded with the session's chunk size.
    mutating func serverSendsMedia(_ m: RTMPMessage) throws {
        var out = m
        out.streamID = RTMPSession.mediaStreamID
        try toClient(RTMPChunkEncoder.encode(out, chunkSize: server.outChunkSize))
    }
}

/// Small media messages: an AVC sequence header, a keyframe and an AAC frame.
enum SessionMedia {
    static let videoHeader = RTMPMessage(type: RTMPMessageType.video, streamID: 1, timestamp: 0, chunkStreamID: 6,
                                         payload: [0x17, 0, 0, 0, 0, 1, 0x42, 0xC0, 0x1E, 0xFF])
    static func keyframe(_ ts: UInt32, size: Int = 300) -> RTMPMessage {
        RTMPMessage(type: RTMPMessageType.video, streamID: 1, timestamp: ts, chunkStreamID: 6,
                    payload: [0x17, 1, 0, 0, 0] + (0..<size).map { UInt8(truncatingIfNeeded: $0) })
    }
    static func audio(_ ts: UInt32) -> RTMPMessage {
        RTMPMessage(type: RTMPMessageType.audio, streamID: 1, timestamp: ts, chunkStreamID: 7, payload: [0xAF, 1, 9, 9, 9])
    }
}
