import CSRT
import Foundation
@testable import SRT
#if canImport(Glibc)
import Glibc
#endif

/// A blocking libsrt caller, as an encoder is: one socket, so one UDP port of its own.
final class SRTTestClient {
    let socket: SRTSOCKET
    let streamID: String
    private(set) var bytesSent = 0
    private(set) var sendFailures = 0

    init(port: Int, streamID: String, peerIdleTimeoutMs: Int32 = 10_000) throws {
        SRTLibrary.start()
        self.streamID = streamID
        socket = srt_create_socket()
        try SRTOption.set(socket, SRTO_STREAMID, streamID)
        try SRTOption.set(socket, SRTO_PEERIDLETIMEO, peerIdleTimeoutMs)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { srt_connect(socket, $0, Int32(MemoryLayout<sockaddr_in>.size)) }
        }
        if rc != 0 {
            let error = SRTError.last("srt_connect", context: streamID)
            srt_close(socket)
            throw error
        }
    }

    deinit { srt_close(socket) }

    /// Sends one message of 7 TS-like packets (blocking).
    func sendMessage() {
        var message = [UInt8](repeating: 0xAB, count: 1316)
        for i in stride(from: 0, to: 1316, by: 188) { message[i] = 0x47 }
        let rc = message.withUnsafeBufferPointer { b in
            b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: b.count) { srt_sendmsg2(socket, $0, Int32(b.count), nil) }
        }
        if rc > 0 { bytesSent += Int(rc) } else { sendFailures += 1 }
    }

    var isConnected: Bool { srt_getsockstate(socket) == SRTS_CONNECTED }
}
