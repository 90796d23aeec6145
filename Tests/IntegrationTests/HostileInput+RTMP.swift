import Foundation
import Kernel
import Protocol
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// RTMP attacks: the handshake, the chunk stream, AMF0.
extension HostileInputTests {
    /// Sends `bytes` on a new RTMP connection (after a simple handshake when `handshake`), and
    /// expects the server to close it, with a log line saying why when `logs` is given (and the
    /// rate limiter still writes that kind of line in full).
    func rtmpAttack(_ name: String, handshake: Bool = true, _ bytes: [UInt8], logs: String?,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        let offset = srs.log.utf8.count
        let a = try Attacker(port: srs.rtmpPort)
        if handshake {
            a.send([3] + [UInt8](repeating: 0, count: RTMPHandshake.c0c1Size - 1))
            let s0s1s2 = a.read(RTMPHandshake.s0s1s2Size)
            XCTAssertEqual(s0s1s2.count, RTMPHandshake.s0s1s2Size, "\(name): no handshake", file: file, line: line)
            a.send(Array(s0s1s2[1..<RTMPHandshake.c0c1Size]))
        }
        a.send(bytes)
        XCTAssertTrue(a.readUntilClosed().closed, "\(name): the connection was not closed", file: file, line: line)
        rtmpAttacks += 1
        // Past the first few errors the rate limiter counts them instead of writing each one.
        if let logs, rtmpAttacks <= Self.repeatedLinesPerWindow {
            let lines = logSince(offset).split(separator: "\n").filter { $0.contains(":\(a.localPort) error:") }
            XCTAssertTrue(lines.contains { $0.contains(logs) }, "\(name): no '\(logs)' logged for it:\n\(logSince(offset))",
                          file: file, line: line)
        }
        assertHealthy(after: name, file: file, line: line)
    }

    static func chunks(_ m: RTMPMessage, chunkSize: Int = 128) -> [UInt8] { RTMPChunkEncoder.encode(m, chunkSize: chunkSize) }

    static func setChunkSize(_ raw: UInt32) -> [UInt8] {
        chunks(RTMPMessage(type: RTMPMessageType.setChunkSize, chunkStreamID: 2, payload: withUnsafeBytes(of: raw.bigEndian, Array.init)))
    }

    static func command(_ payload: [UInt8], chunkStreamID: UInt32 = 3, chunkSize: Int = 128) -> [UInt8] {
        chunks(RTMPMessage(type: RTMPMessageType.amf0Command, chunkStreamID: chunkStreamID, payload: payload), chunkSize: chunkSize)
    }

    /// `connect` and its transaction id, AMF0: what every deep or broken command object follows.
    static let connectPrefix: [UInt8] = AMF0.encode([.string("connect"), .number(1)])

    static func connect(app: String = "live", chunkStreamID: UInt32 = 3) -> [UInt8] {
        chunks(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
            AMF0Property("app", .string(app)), AMF0Property("tcUrl", .string("rtmp://127.0.0.1/\(app)"))]))
            .message(chunkStreamID: chunkStreamID))
    }

    func testGarbageAndWrongVersionsBeforeTheHandshake() throws {
        var rng = FastRandom(seed: 0x0BAD_C0DE)
        for version: UInt8 in [0, 6, 8, 0xFF] {
            try rtmpAttack("C0 version \(version)", handshake: false, [version] + rng.bytes(1536), logs: "handshake version \(version)")
        }
        try rtmpAttack("HTTP on the RTMP port", handshake: false,
                       Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8) + [UInt8](repeating: 0x41, count: 1536),
                       logs: "handshake version 71")
        for i in 0..<3 {
            var garbage = rng.bytes(rng.int(1537...6000))
            if garbage[0] == 3 { garbage[0] = 4 }
            try rtmpAttack("garbage #\(i) before the handshake", handshake: false, garbage, logs: "handshake version")
        }
    }

    func testGarbageAfterTheHandshake() throws {
        var rng = FastRandom(seed: 0xAF7E)
        // A first chunk without a full header on a fresh chunk stream can never be valid.
        try rtmpAttack("garbage after the handshake", [0xC3] + rng.bytes(4000), logs: "starts with fmt 3")
        try rtmpAttack("garbage after connect", Self.connect() + [0x83] + rng.bytes(2000), logs: "starts with fmt 2")
        // Random bytes may also look like the start of a long message: the server waits, and
        // closes when we stop sending.
        for i in 0..<3 {
            let offset = srs.log.utf8.count
            let a = try Attacker(port: srs.rtmpPort)
            a.send([3] + rng.bytes(RTMPHandshake.c0c1Size - 1))
            _ = a.read(RTMPHandshake.s0s1s2Size)
            a.send(rng.bytes(1536 + rng.int(1...5000)))
            a.finishSending()
            XCTAssertTrue(a.readUntilClosed().closed, "random chunks #\(i): not closed:\n\(logSince(offset))")
            assertHealthy(after: "random chunks #\(i)")
        }
    }

    func testChunkSizesAndMessageLengths() throws {
        try rtmpAttack("set chunk size 0", Self.setChunkSize(0), logs: "chunk size 0")
        try rtmpAttack("set chunk size 2^31", Self.setChunkSize(0x8000_0000), logs: "chunk size 0")
        try rtmpAttack("set chunk size 2^31-1", Self.setChunkSize(0x7FFF_FFFF), logs: "chunk size 2147483647")
        try rtmpAttack("set chunk size 2^32-1", Self.setChunkSize(0xFFFF_FFFF), logs: "chunk size 2147483647")
        // Five 16 MiB messages, 8 MiB of each sent: partial messages are bounded (32 MiB in all).
        var partial = Self.setChunkSize(8 * 1024 * 1024)
        for csid: UInt32 in 3...7 {
            partial += [UInt8(csid), 0, 0, 0, 0xFF, 0xFF, 0xFF, RTMPMessageType.video, 1, 0, 0, 0]
            partial += [UInt8](repeating: 0x17, count: 8 * 1024 * 1024)
        }
        try rtmpAttack("partial 16 MiB messages on 5 chunk streams", partial, logs: "bytes of partial messages")
        // A whole 16 MiB command in one chunk: a name, then 16 MiB of nothing AMF0 knows.
        try rtmpAttack("16 MiB command", Self.setChunkSize(16 * 1024 * 1024)
                        + Self.command([0x02, 0, 1, 0x41] + [UInt8](repeating: 0x41, count: 0xFF_FFFF - 4), chunkSize: 16 * 1024 * 1024),
                       logs: "unknown marker 65")
        // The largest chunk size the server takes still works for a real client.
        let a = try Attacker(port: srs.rtmpPort)
        a.send([3] + [UInt8](repeating: 0, count: RTMPHandshake.c0c1Size - 1))
        let s = a.read(RTMPHandshake.s0s1s2Size)
        a.send(Array(s[1..<RTMPHandshake.c0c1Size]) + Self.setChunkSize(UInt32(RTMPChunkDecoder.maxChunkSize))
               + Self.chunks(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
                   AMF0Property("app", .string("live")), AMF0Property("tcUrl", .string("rtmp://127.0.0.1/live"))])).message(),
                             chunkSize: RTMPChunkDecoder.maxChunkSize))
        XCTAssertTrue(Self.waitFor("NetConnection.Connect.Success", on: a), "connect after a 16 MiB chunk size")
        assertHealthy(after: "largest chunk size")
    }

    func testChunkStreamIDEdges() throws {
        // The three basic header forms up to the largest id carry a connect.
        for csid: UInt32 in [2, 63, 64, 319, 320, 65599] {
            let a = try Attacker(port: srs.rtmpPort)
            a.send([3] + [UInt8](repeating: 0, count: RTMPHandshake.c0c1Size - 1))
            let s = a.read(RTMPHandshake.s0s1s2Size)
            a.send(Array(s[1..<RTMPHandshake.c0c1Size]) + Self.connect(chunkStreamID: csid))
            XCTAssertTrue(Self.waitFor("NetConnection.Connect.Success", on: a), "connect on chunk stream \(csid)")
        }
        assertHealthy(after: "connect on every chunk stream id form")
        var many: [UInt8] = []
        for csid: UInt32 in 3..<400 {
            // A type-0 header with the 1-, 2- or 3-byte basic header: a 256-byte message, half sent.
            let basic: [UInt8] = csid < 64 ? [UInt8(csid)] : csid < 320 ? [0, UInt8(csid - 64)] : [1, UInt8((csid - 64) & 0xFF), UInt8((csid - 64) >> 8)]
            many += basic + [0, 0, 0, 0, 1, 0, RTMPMessageType.audio, 1, 0, 0, 0] + [UInt8](repeating: 0xAF, count: 128)
        }
        try rtmpAttack("400 chunk streams with partial messages", many, logs: "too many chunk streams")
        try rtmpAttack("a new header inside a partial message",
                       [0x04, 0, 0, 0, 0, 1, 0, 8, 1, 0, 0, 0] + [UInt8](repeating: 0, count: 128)
                        + [0x44, 0, 0, 0, 0, 0, 8, 8], logs: "new header inside a partial message")
        try rtmpAttack("abort of an unknown chunk stream, then garbage",
                       Self.chunks(RTMPMessage(type: RTMPMessageType.abort, chunkStreamID: 2, payload: [0xFF, 0xFF, 0xFF, 0xFF]))
                        + [0xFF, 0xFF, 0xFF], logs: "starts with fmt 3")
    }

    func testDeepAMF0NestingIsRefusedWithoutOverflowingTheStack() throws {
        let depth = 100_000
        var objects = Self.connectPrefix
        for _ in 0..<depth { objects += [0x03, 0x00, 0x01, 0x61] }
        objects += [0x05] + [UInt8]([0x00, 0x00, 0x09]).repeated(depth)
        var arrays = Self.connectPrefix
        for _ in 0..<depth { arrays += [0x0A, 0, 0, 0, 1] }
        var ecma = Self.connectPrefix
        for _ in 0..<depth { ecma += [0x08, 0, 0, 0, 1, 0x00, 0x01, 0x61] }
        var mixed = Self.connectPrefix
        for i in 0..<depth { mixed += i % 3 == 0 ? [0x03, 0x00, 0x01, 0x62] : i % 3 == 1 ? [0x0A, 0, 0, 0, 1] : [0x10, 0, 1, 0x54, 0, 1, 0x63] }
        for (name, payload) in [("objects", objects), ("strict arrays", arrays), ("ECMA arrays", ecma), ("mixed", mixed)] {
            try rtmpAttack("\(depth) nested \(name)", Self.setChunkSize(65536) + Self.command(payload, chunkSize: 65536),
                           logs: "nesting deeper than")
        }
        // As an AMF3 command (type 17: a zero byte, then AMF0).
        try rtmpAttack("nested objects in an AMF3 command", Self.chunks(RTMPMessage(
            type: RTMPMessageType.amf3Command, chunkStreamID: 3, payload: [0] + objects.prefix(40_000))), logs: "nesting deeper than")
    }

    func testAMF0StringsWithLyingLengths() throws {
        let cases: [(String, [UInt8], String)] = [
            ("a command name longer than its message", [0x02, 0xFF, 0xFF] + Array("connect".utf8), "truncated"),
            ("a long string of 4 GiB", Self.connectPrefix + [0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0x61], "truncated"),
            ("an XML document of 2 GiB", Self.connectPrefix + [0x0F, 0x80, 0, 0, 0, 0x61], "truncated"),
            ("a property name past the end", Self.connectPrefix + [0x03, 0xFF, 0xF0, 0x61], "truncated"),
            ("a strict array of 2^32-1", Self.connectPrefix + [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x05], "strict array of"),
            ("a typed object with a lying class name", Self.connectPrefix + [0x10, 0xFF, 0xFF, 0x61], "truncated"),
            ("an unknown marker", Self.connectPrefix + [0x11, 0x00], "unknown marker"),
            ("a command that is not a string", [0x00] + [UInt8](repeating: 0, count: 8), "command without a name"),
        ]
        for (name, payload, logs) in cases { try rtmpAttack(name, Self.command(payload), logs: logs) }
    }

    /// A valid publish session, mutated from a fixed seed: every connection ends (by the
    /// server, or when we stop sending) and the worker stays up.
    func testMutatedSessions() throws {
        var rng = FastRandom(seed: 0x5E55_1011)
        var session = [3] + [UInt8](repeating: 0, count: RTMPHandshake.c0c1Size - 1) + [UInt8](repeating: 0, count: 1536)
        session += Self.connect()
        session += Self.chunks(RTMPCommand(name: "createStream", transactionID: 2).message())
        session += Self.chunks(RTMPCommand(name: "publish", transactionID: 3, arguments: [.string("fuzz"), .string("live")])
            .message(streamID: 1, chunkStreamID: 8))
        session += Self.chunks(RTMPMessage(type: RTMPMessageType.video, streamID: 1, chunkStreamID: 6,
                                           payload: [0x17, 0, 0, 0, 0, 1, 0x42, 0xC0, 0x0D, 0xFF, 0xE1, 0, 4, 0x67, 0x42, 0xC0, 0x0D]))
        for i in 0..<40 {
            var b = session
            let start = RTMPHandshake.c0c1Size + 1536
            for _ in 0..<rng.int(1...8) { b[rng.int(start...(b.count - 1))] = UInt8(truncatingIfNeeded: rng.next()) }
            if i % 4 == 0 { b.removeLast(rng.int(1...(b.count - start))) }
            if i % 5 == 0 { b += rng.bytes(rng.int(1...3000)) }
            let a = try Attacker(port: srs.rtmpPort)
            a.send(b)
            a.finishSending()
            XCTAssertTrue(a.readUntilClosed().closed, "mutated session #\(i) not closed")
            XCTAssertEqual(Processes.children(of: srs.pid), [workerPid], "mutated session #\(i) crashed the worker:\n\(srs.log)")
        }
        assertHealthy(after: "40 mutated sessions")
    }

    /// 8 MiB of pings from a client that never reads the answers: the worker stops reading it
    /// instead of queueing pongs (it grew by 25 MB for them, 250 MB in 30 s of such a flood).
    func testPingFloodOfAClientThatNeverReads() throws {
        let before = Memory.rssKB(pid: workerPid)
        let a = try Attacker(port: srs.rtmpPort, receiveBuffer: 4096, sendTimeout: 1)
        a.send([3] + [UInt8](repeating: 0, count: RTMPHandshake.c0c1Size - 1))
        let s = a.read(RTMPHandshake.s0s1s2Size)
        a.send(Array(s[1..<RTMPHandshake.c0c1Size]) + Self.connect())
        let pings = Self.chunks(RTMPControl.userControl(event: RTMPControl.pingRequest, value: 1)).repeated(4000)
        let sent = a.flood(pings, limit: 8 << 20, seconds: 5)
        assertHealthy(after: "a ping flood of \(sent) bytes")
        let grown = Memory.rssKB(pid: workerPid) - before
        XCTAssertLessThan(grown, 8 * 1024, "the worker grew by \(grown) KB for \(sent) bytes of pings")
    }

    /// Waits until the server sent `text` (e.g. a status code) on the connection.
    static func waitFor(_ text: String, on a: Attacker, timeout: TimeInterval = 5) -> Bool {
        var got: [UInt8] = []
        // Each round blocks in the reads (up to 0.25 s), not in a sleep.
        return Deadline.wait(timeout: timeout, every: 0) {
            got += a.read(1, timeout: 0.2)
            got += a.read(65536, timeout: 0.05)
            return HTTPClient.find(got, Array(text.utf8)) != nil
        }
    }
}
