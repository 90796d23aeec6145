import Glibc

extension StreamSocket {
    /// Acknowledges what was received now instead of after the delayed-ACK timer (`TCP_QUICKACK`,
    /// Linux). A client waiting for the rest of a short answer calls it after each read: a peer
    /// that writes its answer in two small segments (Python's http.server: the head, then the
    /// body) holds the second one until the first is acknowledged (Nagle), 40 ms on a
    /// kept-alive connection whose ACKs are delayed. Failures are ignored (an optimisation).
    public func acknowledgeNow() {
        guard !closed else { return }
        var on: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &on, socklen_t(MemoryLayout<Int32>.size))
    }
}

extension StreamSocket {
    /// Sets or clears `TCP_NODELAY` (accepted and connected sockets start with it set). Off,
    /// a small write waits while an earlier segment is unacknowledged and goes out with what
    /// follows (Nagle's algorithm): fewer, fuller segments for a player that is written every
    /// message. Fails silently on a socket that is not TCP (a unix socket).
    public func setNoDelay(_ on: Bool) {
        guard !closed else { return }
        var v: Int32 = on ? 1 : 0
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &v, socklen_t(MemoryLayout<Int32>.size))
    }
}
