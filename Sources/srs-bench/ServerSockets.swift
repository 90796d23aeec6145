import Glibc
import System

/// The server's end of our connections, asked from the kernel (`sock_diag` netlink, as `ss`
/// does): each established IPv4 TCP socket whose local port is the server's, keyed by its
/// remote port (our local port), with the bytes it received that the server has not read yet
/// and its inode (0 while it waits in the listener's accept queue). With `socketInodes(pid:)`
/// the inode tells which process holds the connection: the worker a player landed on.
///
/// Not `/proc/net/tcp`: that lists every socket of the machine as text, and reading it took
/// 70 ms of system time (0.5 s of wall time) on a busy machine with 10 000 sockets, during
/// which the load client's loop stood still. The kernel filters this query by port.
struct ServerSockets {
    struct Entry: Equatable {
        /// Bytes in the socket's receive queue: received, not read by the server.
        var unread: Int
        /// The socket's inode; 0 while the connection waits in the listener's accept queue.
        var inode: UInt64
    }

    /// Server-side sockets of the port, by remote port. Empty if the kernel would not say.
    let byPeerPort: [Int: Entry]

    init(serverPort: Int) {
        byPeerPort = Self.query(serverPort: serverPort) ?? [:]
    }

    // linux/netlink.h, linux/sock_diag.h, linux/inet_diag.h
    private static let netlinkSockDiag: Int32 = 4
    private static let sockDiagByFamily: UInt16 = 20
    private static let nlmsgError: UInt16 = 2
    private static let nlmsgDone: UInt16 = 3
    private static let requestDumpFlags: UInt16 = 0x1 | 0x300  // NLM_F_REQUEST | NLM_F_DUMP
    private static let establishedStates: UInt32 = 1 << 1  // 1 << TCP_ESTABLISHED
    /// nlmsghdr (16) + inet_diag_req_v2 (8 + inet_diag_sockid 48).
    private static let requestSize = 16 + 56
    /// Offsets in a reply's inet_diag_msg: id.idiag_dport (be16), idiag_rqueue, idiag_inode.
    private static let replyDport = 6, replyRqueue = 56, replyInode = 68, replySize = 72

    private static func query(serverPort: Int) -> [Int: Entry]? {
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), netlinkSockDiag)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var req = ByteBuffer(count: requestSize)
        req.u32(0, UInt32(requestSize))
        req.u16(4, sockDiagByFamily)
        req.u16(6, requestDumpFlags)
        req.u32(8, 1)  // sequence
        req.bytes[16] = UInt8(AF_INET)
        req.bytes[17] = UInt8(IPPROTO_TCP)
        req.u32(20, establishedStates)
        // id.idiag_sport, network order: the kernel skips sockets of other local ports.
        req.bytes[24] = UInt8(serverPort >> 8)
        req.bytes[25] = UInt8(serverPort & 0xFF)
        // Unconnected netlink sockets send to the kernel.
        let sent = req.bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == requestSize else { return nil }

        var out: [Int: Entry] = [:]
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return nil }
            var off = 0
            while off + 16 <= n {
                let len = Int(Self.u32(buf, off))
                let type = buf.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: off + 4, as: UInt16.self) }
                guard len >= 16, off + len <= n else { return nil }
                if type == nlmsgDone { return out }
                if type == nlmsgError { return nil }
                let m = off + 16
                if type == sockDiagByFamily && len >= 16 + replySize {
                    let peer = Int(buf[m + replyDport]) << 8 | Int(buf[m + replyDport + 1])
                    out[peer] = Entry(unread: Int(Self.u32(buf, m + replyRqueue)), inode: UInt64(Self.u32(buf, m + replyInode)))
                }
                off += (len + 3) & ~3  // NLMSG_ALIGN
            }
        }
    }

    /// A host-order u32 at `at`.
    private static func u32(_ b: [UInt8], _ at: Int) -> UInt32 {
        b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: at, as: UInt32.self) }
    }

    /// Inodes of the sockets process `pid` holds open (`/proc/PID/fd/N -> socket:[INODE]`).
    static func socketInodes(pid: Int) -> Set<UInt64> {
        var out = Set<UInt64>()
        let dir = "/proc/\(pid)/fd"
        var buf = [CChar](repeating: 0, count: 64)
        let prefix = Array("socket:[".utf8)
        for name in FileSystem.list(dir) {
            let n = readlink("\(dir)/\(name)", &buf, buf.count - 1)
            guard n > prefix.count + 1 else { continue }
            let link = buf[0..<n].map { UInt8(bitPattern: $0) }
            guard link.starts(with: prefix), link[n - 1] == UInt8(ascii: "]") else { continue }
            var inode: UInt64 = 0
            var ok = true
            for b in link[prefix.count..<(n - 1)] {
                guard b >= UInt8(ascii: "0"), b <= UInt8(ascii: "9") else { ok = false; break }
                inode = inode * 10 + UInt64(b - UInt8(ascii: "0"))
            }
            if ok { out.insert(inode) }
        }
        return out
    }

    /// The local port of a connected socket, or nil.
    static func localPort(fd: Int32) -> Int? {
        var addr = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { return nil }
        return withUnsafePointer(to: &addr) { p -> Int? in
            switch Int32(p.pointee.ss_family) {
            case AF_INET:
                return p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            case AF_INET6:
                return p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            default:
                return nil
            }
        }
    }
}

/// A zeroed byte array with stores in host order at offsets (netlink structs are host order).
private struct ByteBuffer {
    var bytes: [UInt8]
    init(count: Int) { bytes = [UInt8](repeating: 0, count: count) }
    mutating func u16(_ at: Int, _ v: UInt16) { withUnsafeBytes(of: v) { bytes.replaceSubrange(at..<(at + 2), with: $0) } }
    mutating func u32(_ at: Int, _ v: UInt32) { withUnsafeBytes(of: v) { bytes.replaceSubrange(at..<(at + 4), with: $0) } }
}
