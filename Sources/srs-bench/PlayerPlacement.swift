/// Puts players on one server process (`--on-pid`): which worker accepts a connection is the
/// kernel's choice (workers share the listening socket, or hash over `SO_REUSEPORT` sockets),
/// so a player connects, holds its handshake, and is kept only if the server's end of its
/// connection is a socket of that process; otherwise it is closed and a new one connects in its
/// place. The server sees an accept and a close for each misplaced try, during the ramp.
///
/// How: the kernel's list of the server port's sockets (`ServerSockets`) gives, for our local
/// port, the inode of the server's socket once accepted; the process's fds
/// (`/proc/PID/fd`, read after the list, so an accepted socket is already there) tell whether
/// it holds that inode.
final class PlayerPlacement {
    enum Verdict { case here, elsewhere, unknown }

    let pid: Int
    let serverPort: Int
    /// Connections that landed on another process and were replaced.
    var misplaced = 0

    init(pid: Int, serverPort: Int) {
        self.pid = pid
        self.serverPort = serverPort
    }

    /// Where each of these local ports' connections is: on `pid`, on another process, or not
    /// accepted yet.
    func verdicts(_ localPorts: [Int?]) -> [Verdict] {
        let sockets = ServerSockets(serverPort: serverPort).byPeerPort
        let ours = ServerSockets.socketInodes(pid: pid)
        return localPorts.map { port in
            guard let port, let e = sockets[port], e.inode != 0 else { return .unknown }
            return ours.contains(e.inode) ? .here : .elsewhere
        }
    }
}
