import Foundation
import Kernel
import Protocol
#if canImport(Glibc)
import Glibc
#endif

/// One RTMP session with whatever names a hostile client chooses (NUL, newlines, `..`): simple
/// handshake, connect, createStream, then publish (with an AVC sequence header and two
/// keyframes 1.2 s apart, enough for an HLS segment) or play. Returns what the server answered,
/// read until it closes the connection, one of `until` appears, or `timeout` passes.
enum RTMPRawSession {
    enum Command: String { case publish, play }

    /// Status codes a session ends on.
    static let finalCodes = ["NetStream.Publish.Start", "NetStream.Publish.BadName", "NetStream.Play.Start",
                             "NetStream.Play.StreamNotFound", "NetConnection.Connect.Rejected"]

    static func run(port: Int, app: String, stream: String, command: Command = .publish, tcUrl: String? = nil,
                    pageUrl: String? = nil, until: [String] = finalCodes, timeout: TimeInterval = 5) throws -> String {
        let fd = try RawClient.connect(port: port)
        defer { close(fd) }
        RawClient.send(fd, [3] + [UInt8](repeating: 0, count: 1536))
        let s = RawClient.receive(fd, count: 3073, timeout: 5)
        guard s.count == 3073 else { throw TestError("handshake: got \(s.count) bytes") }
        var out: [UInt8] = Array(s[1..<1537])
        func add(_ m: RTMPMessage) { out += RTMPChunkEncoder.encode(m, chunkSize: 128) }
        var props = [AMF0Property("app", .string(app)),
                     AMF0Property("tcUrl", .string(tcUrl ?? "rtmp://127.0.0.1:\(port)/\(app)"))]
        if let pageUrl { props.append(AMF0Property("pageUrl", .string(pageUrl))) }
        add(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object(props)).message())
        add(RTMPCommand(name: "createStream", transactionID: 2).message())
        add(RTMPCommand(name: command.rawValue, transactionID: 3, arguments: [.string(stream), .string("live")])
            .message(streamID: 1, chunkStreamID: 8))
        if command == .publish {
            for m in media { add(m) }
        }
        RawClient.send(fd, out)
        var reply: [UInt8] = []
        let deadline = Deadline(seconds: timeout)
        var buf = [UInt8](repeating: 0, count: 65536)
        while !deadline.hasPassed {
            let text = String(decoding: reply, as: UTF8.self)
            if until.contains(where: { text.contains($0) }) { break }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            reply += buf[0..<n]
        }
        return String(decoding: reply, as: UTF8.self)
    }

    /// An AVC sequence header (baseline SPS/PPS) and two tiny keyframes at 0 and 1200 ms.
    static var media: [RTMPMessage] {
        let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x0D, 0xDA, 0x05, 0x07, 0xE8, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0C, 0x83, 0xC5, 0x0A, 0xA8]
        let pps: [UInt8] = [0x68, 0xCE, 0x0F, 0xC8]
        let record: [UInt8] = [1, 0x42, 0xC0, 0x0D, 0xFF, 0xE1, 0, UInt8(sps.count)] + sps + [1, 0, UInt8(pps.count)] + pps
        let keyframe: [UInt8] = [0x17, 1, 0, 0, 0, 0, 0, 0, 5, 0x65, 0x88, 0x84, 0x00, 0x33]
        return [RTMPMessage(type: RTMPMessageType.video, streamID: 1, timestamp: 0, chunkStreamID: 6, payload: [0x17, 0, 0, 0, 0] + record),
                RTMPMessage(type: RTMPMessageType.video, streamID: 1, timestamp: 0, chunkStreamID: 6, payload: keyframe),
                RTMPMessage(type: RTMPMessageType.video, streamID: 1, timestamp: 1200, chunkStreamID: 6, payload: keyframe)]
    }
}
