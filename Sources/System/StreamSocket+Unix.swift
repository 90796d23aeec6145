extension StreamSocket {
    /// Default deadline of an outbound unix-socket connect.
    public static let unixConnectTimeoutMs: Int64 = 3000

    /// Connects to the unix socket `path` (`@name`: abstract namespace); `onConnected` runs once,
    /// on the loop. Returns the pending attempt, which `cancel()` abandons.
    @discardableResult
    public static func connect(unixPath path: String, loop: EventLoop, timeoutMs: Int64 = unixConnectTimeoutMs,
                               onConnected: @escaping (Result<StreamSocket, SystemError>) -> Void) -> SocketConnector {
        SocketConnector.unix(path: path, loop: loop, timeoutMs: timeoutMs, onConnected)
    }
}
