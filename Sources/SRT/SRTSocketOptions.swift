import CSRT
import Kernel

/// Sets the options on libsrt sockets the way SRS does (`SrsSrtAcceptor::set_srt_opt`, same
/// order); accepted sockets inherit them from the listener. Note SRS's order: `latency`
/// (SRTO_LATENCY sets both the receive and the peer latency) comes first and is then overridden
/// by `recvlatency` and `peerlatency`, which are always set (to 120 and 0 by default).
extension SRTSocketOptions {
    /// Sets every option on `socket` (a listener before `srt_listen`), non-blocking included.
    /// Throws the first option libsrt refuses.
    public func apply(to socket: SRTSOCKET) throws {
        try SRTOption.set(socket, SRTO_SNDSYN, false)
        try SRTOption.set(socket, SRTO_RCVSYN, false)
        try SRTOption.set(socket, SRTO_MAXBW, maxBandwidth)
        try SRTOption.set(socket, SRTO_MSS, Int32(clamping: mss))
        try SRTOption.set(socket, SRTO_TSBPDMODE, tsbpdMode)
        try SRTOption.set(socket, SRTO_LATENCY, Int32(clamping: latencyMs))
        try SRTOption.set(socket, SRTO_RCVLATENCY, Int32(clamping: recvLatencyMs))
        try SRTOption.set(socket, SRTO_PEERLATENCY, Int32(clamping: peerLatencyMs))
        try SRTOption.set(socket, SRTO_TLPKTDROP, tooLatePacketDrop)
        try SRTOption.set(socket, SRTO_CONNTIMEO, Int32(clamping: connectTimeoutMs))
        try SRTOption.set(socket, SRTO_PEERIDLETIMEO, Int32(clamping: peerIdleTimeoutMs))
        try SRTOption.set(socket, SRTO_SNDBUF, Int32(clamping: sendBufferBytes))
        try SRTOption.set(socket, SRTO_RCVBUF, Int32(clamping: recvBufferBytes))
        try SRTOption.set(socket, SRTO_PAYLOADSIZE, Int32(clamping: payloadSize))
        if !passphrase.isEmpty {
            try SRTOption.set(socket, SRTO_PASSPHRASE, passphrase)
            try SRTOption.set(socket, SRTO_PBKEYLEN, Int32(clamping: keyLength))
        }
    }
}

/// Typed `srt_setsockflag` / `srt_getsockflag`.
enum SRTOption {
    static func set(_ socket: SRTSOCKET, _ option: SRT_SOCKOPT, _ value: Int32) throws {
        var v = value
        try check(srt_setsockflag(socket, option, &v, Int32(MemoryLayout<Int32>.size)), option, "\(value)")
    }

    static func set(_ socket: SRTSOCKET, _ option: SRT_SOCKOPT, _ value: Int64) throws {
        var v = value
        try check(srt_setsockflag(socket, option, &v, Int32(MemoryLayout<Int64>.size)), option, "\(value)")
    }

    static func set(_ socket: SRTSOCKET, _ option: SRT_SOCKOPT, _ value: Bool) throws {
        var v = value
        try check(srt_setsockflag(socket, option, &v, Int32(MemoryLayout<Bool>.size)), option, "\(value)")
    }

    static func set(_ socket: SRTSOCKET, _ option: SRT_SOCKOPT, _ value: String) throws {
        let bytes = Array(value.utf8)
        // A passphrase is not logged.
        try check(srt_setsockflag(socket, option, bytes, Int32(bytes.count)), option, "(\(bytes.count) bytes)")
    }

    static func int32(_ socket: SRTSOCKET, _ option: SRT_SOCKOPT) -> Int32? {
        var v: Int32 = 0
        var size = Int32(MemoryLayout<Int32>.size)
        return srt_getsockflag(socket, option, &v, &size) == 0 ? v : nil
    }

    static func string(_ socket: SRTSOCKET, _ option: SRT_SOCKOPT, capacity: Int = 513) -> String? {
        var buffer = [UInt8](repeating: 0, count: capacity)
        var size = Int32(capacity)
        guard srt_getsockflag(socket, option, &buffer, &size) == 0, size >= 0 else { return nil }
        return String(decoding: buffer.prefix(Int(size)), as: UTF8.self)
    }

    private static func check(_ rc: Int32, _ option: SRT_SOCKOPT, _ value: String) throws {
        if rc != 0 { throw SRTError.last("srt_setsockflag", context: "option \(option.rawValue)=\(value)") }
    }
}
