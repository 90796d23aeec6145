/// `forward { enabled; destination a:1935 b; backend http://...; }`: every stream published on
/// the vhost is published again to each destination (SRS's `SrsForwarder`), or to the RTMP URLs
/// a backend answers (SRS 5's `backend`: when set, `destination` is ignored).
public struct ForwardConfig: Equatable, Sendable {
    /// Default off.
    public var enabled = false
    /// `host[:port]` (default port 1935), in order.
    public var destinations: [HostPort] = []
    /// An `http://` URL asked with a POST for each publish (`on_forward`), or nil.
    public var backend: String?

    public init() {}
}
