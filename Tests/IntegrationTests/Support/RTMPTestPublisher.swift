import Foundation
import Kernel
import Protocol
#if canImport(Glibc)
import Glibc
#endif

/// A minimal RTMP publisher for churn tests: handshake, connect, publish, an AVC sequence header
/// and one keyframe, then it hangs up.
enum RTMPTestPublisher {
    static func publishOnce(port: Int, app: String = "live", stream: String) throws {
        let fd = try RawClient.connect(port: port)
        defer { close(fd) }
        RawClient.send(fd, [3] + [UInt8](repeating: 0, count: 1536))
        let s = RawClient.receive(fd, count: 3073, timeout: 5)
        guard s.count == 3073 else { throw TestError("handshake: got \(s.count) bytes") }
        var out: [UInt8] = Array(s[1..<1537])
        func add(_ m: RTMPMessage) { out += RTMPChunkEncoder.encode(m, chunkSize: 128) }
        add(RTMPCommand(name: "connect", transactionID: 1, commandObject: .object([
            AMF0Property("app", .string(app)), AMF0Property("tcUrl", .string("rtmp://127.0.0.1:\(port)/\(app)"))])).message())
        add(RTMPCommand(name: "createStream", transactionID: 2).message())
        add(RTMPCommand(name: "publish", transactionID: 3, arguments: [.string(stream), .string("live")])
            .message(streamID: 1, chunkStreamID: 8))
        // An AVC sequence header (baseline SPS/PPS bytes) and a tiny keyframe: enough for a source.
        let sps: [UInt8] = [0x67, 0x42, 0xC0, 0x0D, 0xDA, 0x05, 0x07, 0xE8, 0x40, 0x00, 0x00, 0x03, 0x00, 0x40, 0x00, 0x00, 0x0C, 0x83, 0xC5, 0x0A, 0xA8]
        let pps: [UInt8] = [0x68, 0xCE, 0x0F, 0xC8]
        let record: [UInt8] = [1, 0x42, 0xC0, 0x0D, 0xFF, 0xE1, 0, UInt8(sps.count)] + sps + [1, 0, UInt8(pps.count)] + pps
        add(RTMPMessage(type: RTMPMessageType.video, streamID: 1, timestamp: 0, chunkStreamID: 6, payload: [0x17, 0, 0, 0, 0] + record))
        add(RTMPMessage(type: RTMPMessageType.video, streamID: 1, timestamp: 0, chunkStreamID: 6,
                        payload: [0x17, 1, 0, 0, 0, 0, 0, 0, 5, 0x65, 0x88, 0x84, 0x00, 0x33]))
        RawClient.send(fd, out)
        // Wait for onStatus(Publish.Start) so the publish really happened before hanging up.
        let start = Array("NetStream.Publish.Start".utf8)
        var reply: [UInt8] = []
        let deadline = Deadline(seconds: 5)
        while HTTPClient.find(reply, start) == nil {
            guard !deadline.hasPassed else { throw TestError("no Publish.Start for \(stream)") }
            let more = RawClient.receive(fd, count: 1, timeout: 0.5)
            if more.isEmpty { continue }
            reply += more
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            while poll(&pfd, 1, 0) > 0, (pfd.revents & Int16(POLLIN)) != 0 {
                let chunk = RawClient.receive(fd, count: 4096, timeout: 0.01)
                if chunk.isEmpty { break }
                reply += chunk
            }
        }
    }
}
