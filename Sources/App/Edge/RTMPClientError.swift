import Glibc
import System

/// Why an upstream RTMP session ended, with the endpoint it was talking to.
public enum RTMPClientError: Error, Equatable, CustomStringConvertible {
    /// The host name did not resolve.
    case resolve(UpstreamEndpoint, DNSError)
    /// The TCP/unix connect failed (refused, unreachable, timed out).
    case connect(UpstreamEndpoint, SystemError)
    /// A phase (handshake, connect, createStream, play, publish, media) took too long.
    case timeout(UpstreamEndpoint, phase: String, ms: Int64)
    /// The upstream closed the connection (or the socket failed) in a phase.
    case closed(UpstreamEndpoint, phase: String, reason: String)
    /// The upstream refused: `_error` or an `onStatus` with level error.
    case rejected(UpstreamEndpoint, code: String, description: String)
    /// The upstream redirected us (SRS origin cluster "RTMP 302") to this URL.
    case redirected(UpstreamEndpoint, to: String)
    /// The upstream broke the protocol.
    case protocolError(UpstreamEndpoint, String)

    public var endpoint: UpstreamEndpoint {
        switch self {
        case .resolve(let e, _), .connect(let e, _), .timeout(let e, _, _), .closed(let e, _, _),
             .rejected(let e, _, _), .redirected(let e, _), .protocolError(let e, _):
            return e
        }
    }

    /// True when nothing listens there (connection refused, no such unix socket): the endpoint is
    /// down, so trying the next one at once is cheap.
    public var isRefused: Bool {
        if case .connect(_, let e) = self { return e.errno == ECONNREFUSED || e.errno == ENOENT }
        return false
    }

    public var description: String {
        switch self {
        case .resolve(let e, let err): return "upstream \(e): \(err)"
        case .connect(let e, let err): return "upstream \(e): \(err)"
        case .timeout(let e, let phase, let ms): return "upstream \(e): \(phase) timeout after \(ms)ms"
        case .closed(let e, let phase, let reason): return "upstream \(e): closed in \(phase) (\(reason))"
        case .rejected(let e, let code, let d): return "upstream \(e): rejected \(code) \(d)"
        case .redirected(let e, let url): return "upstream \(e): RTMP 302 redirect to \(url)"
        case .protocolError(let e, let s): return "upstream \(e): \(s)"
        }
    }
}
