import CSRT
import Glibc

/// Numeric addresses of SRT sockets.
enum SRTAddress {
    /// `srt_getpeername` as (ip, port); ("", 0) when unknown.
    static func peer(of socket: SRTSOCKET) -> (host: String, port: Int) {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { srt_getpeername(socket, $0, &length) }
        }
        return rc == 0 ? numeric(storage) : ("", 0)
    }

    /// `srt_getsockname`'s port, or 0.
    static func localPort(of socket: SRTSOCKET) -> Int {
        var storage = sockaddr_storage()
        var length = Int32(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { srt_getsockname(socket, $0, &length) }
        }
        return rc == 0 ? numeric(storage).port : 0
    }

    static func numeric(_ storage: sockaddr_storage) -> (host: String, port: Int) {
        var s = storage
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(s.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &s) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { a -> (String, Int) in
                    var addr = a.pointee.sin_addr
                    inet_ntop(AF_INET, &addr, &text, socklen_t(text.count))
                    return (string(text), Int(UInt16(bigEndian: a.pointee.sin_port)))
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: &s) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { a -> (String, Int) in
                    var addr = a.pointee.sin6_addr
                    inet_ntop(AF_INET6, &addr, &text, socklen_t(text.count))
                    return (string(text), Int(UInt16(bigEndian: a.pointee.sin6_port)))
                }
            }
        default:
            return ("", 0)
        }
    }

    private static func string(_ text: [CChar]) -> String {
        String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
