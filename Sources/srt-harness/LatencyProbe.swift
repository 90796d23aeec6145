import CSRT
import Glibc

/// A libsrt client on its own thread that connects to the harness and sends a message with its
/// send time every 2 ms, with SRT's default 120 ms latency: the harness measures how long after
/// its TSBPD time each message reached the loop (libsrt's delivery thread, then the loop).
enum LatencyProbe {
    static let streamID = "#!::r=probe/latency,m=publish"
    static let magic: UInt64 = 0x5352_5450_524F_4245  // "SRTPROBE"
    /// SRTO_LATENCY of the probe (the server's receive latency is the same by default).
    static let latencyUs = 120_000.0

    nonisolated(unsafe) private static var port: Int32 = 0
    nonisolated(unsafe) private static var seconds = 0.0

    static func start(port: Int, seconds: Double) {
        Self.port = Int32(port)
        Self.seconds = seconds
        var thread = pthread_t()
        pthread_create(&thread, nil, { _ in
            LatencyProbe.run()
            return nil
        }, nil)
        pthread_detach(thread)
    }

    /// The send time in a probe message, if it is one.
    static func timestamp(_ message: ArraySlice<UInt8>) -> UInt64? {
        guard message.count == 16 else { return nil }
        var words: [UInt64] = [0, 0]
        for i in 0..<16 { words[i / 8] = words[i / 8] << 8 | UInt64(message[message.startIndex + i]) }
        return words[0] == magic ? words[1] : nil
    }

    private static func run() {
        let s = srt_create_socket()
        var latency = Int32(latencyUs / 1000)
        srt_setsockflag(s, SRTO_LATENCY, &latency, Int32(MemoryLayout<Int32>.size))
        let id = Array(streamID.utf8)
        srt_setsockflag(s, SRTO_STREAMID, id, Int32(id.count))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { srt_connect(s, $0, Int32(MemoryLayout<sockaddr_in>.size)) }
        }
        guard rc == 0 else { return }
        let end = HarnessClock.nowNs() + UInt64(seconds * 1e9)
        while HarnessClock.nowNs() < end {
            var message = [UInt8](repeating: 0, count: 16)
            let now = HarnessClock.nowNs()
            for i in 0..<8 {
                message[i] = UInt8(truncatingIfNeeded: magic >> (56 - 8 * UInt64(i)))
                message[8 + i] = UInt8(truncatingIfNeeded: now >> (56 - 8 * UInt64(i)))
            }
            _ = message.withUnsafeBufferPointer { b in
                b.baseAddress!.withMemoryRebound(to: CChar.self, capacity: 16) { srt_sendmsg2(s, $0, 16, nil) }
            }
            usleep(2000)
        }
        srt_close(s)
    }
}
