import Core
import Protocol

/// The stream an ingester asks its upstream for (or a forwarder publishes to it): what goes in
/// `connect`'s tcUrl and in the `play`/`publish` stream name. As SRS's edge: the vhost travels as
/// the tcUrl host (unless it is the default vhost), the client's params (tokens...) in the stream
/// name; with `token_traverse` the client's own tcUrl is used as is.
public struct UpstreamRequest: Equatable, Sendable {
    /// The vhost to ask the upstream for (`__defaultVhost__`: whatever the upstream serves).
    public var vhost: String
    /// The app and the stream name (without params).
    public var app: String
    public var stream: String
    /// The client's query (`?token=x&k=v`), without `vhost=`/`domain=`; empty when none.
    public var param: String
    /// token_traverse: connect with this tcUrl (the client's) instead of one built per endpoint.
    public var clientTcUrl: String?

    /// `param` is a query (`?a=b`, `a=b`); its `vhost=`/`domain=` items are dropped.
    public init(vhost: String, app: String, stream: String, param: String = "", clientTcUrl: String? = nil) {
        self.vhost = vhost
        self.app = app
        self.stream = stream
        self.param = Self.withoutVhost(param)
        self.clientTcUrl = clientTcUrl
    }

    /// The tcUrl of `connect` to `endpoint`: `rtmp://vhost-or-host[:port]/app` (port 1935 omitted).
    public func tcUrl(for endpoint: UpstreamEndpoint) -> String {
        if let t = clientTcUrl, !t.isEmpty { return t }
        var host = endpoint.urlHost
        if vhost != VhostConfig.defaultName && !vhost.isEmpty { host = vhost }
        var port = ""
        if case .tcp(_, let p) = endpoint, p != 1935 { port = ":\(p)" }
        return "rtmp://\(host)\(port)/\(app)"
    }

    /// The `play`/`publish` name: the stream and the client's params.
    public var streamName: String { stream + param }

    /// The upstream's stream (for logs).
    public var key: StreamKey { StreamKey(vhost: vhost, app: app, stream: stream) }

    /// Drops `vhost=`/`domain=` items (the vhost is in the tcUrl); keeps the rest in order.
    static func withoutVhost(_ query: String) -> String {
        let body = query.hasPrefix("?") ? query.dropFirst() : Substring(query)
        let kept = body.split(separator: "&").filter { item in
            let name = item.split(separator: "=", maxSplits: 1).first ?? ""
            return name != "vhost" && name != "domain"
        }
        return kept.isEmpty ? "" : "?" + kept.joined(separator: "&")
    }
}

extension UpstreamRequest {
    /// The upstream request for a client's request on an edge vhost: `cluster.vhost` (with
    /// `[vhost]` replaced) overrides the vhost; token_traverse passes the client's tcUrl.
    init(client r: RTMPRequest, cluster: ClusterConfig) {
        self.init(vhost: Self.upstreamVhost(r.vhost, cluster), app: r.app, stream: r.stream, param: r.param,
                  clientTcUrl: cluster.tokenTraverse ? r.tcUrl : nil)
    }

    /// The upstream request for an HTTP-FLV player on an edge vhost (`query`: without `?`).
    init(vhost: String, app: String, stream: String, query: String, cluster: ClusterConfig) {
        self.init(vhost: Self.upstreamVhost(vhost, cluster), app: app, stream: stream, param: query.isEmpty ? "" : "?" + query)
    }

    private static func upstreamVhost(_ vhost: String, _ cluster: ClusterConfig) -> String {
        guard let v = cluster.upstreamVhost, !v.isEmpty else { return vhost }
        return v.replacing("[vhost]", with: vhost)
    }
}
