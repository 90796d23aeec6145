import Core
import Protocol
import System

/// Origin cluster discovery: asks the coworkers' `/api/v1/clusters` where a stream is published.
/// Every address of every coworker is asked (a K8s headless Service name gives one per pod), all
/// at once; the first answer naming an origin wins. SRS asks one coworker after another, each
/// with POST and an empty body; so do we (POST), only in parallel.
final class OriginDiscovery {
    /// Deadline of one coworker's answer.
    static let callTimeoutMs: Int64 = 3000
    /// Addresses asked at most per discovery.
    static let maxPeers = 64

    private let client: HTTPClientPool
    private let hosts: HostAddressCache

    init(client: HTTPClientPool, hosts: HostAddressCache) {
        self.client = client
        self.hosts = hosts
    }

    /// Finds `vhost/app/stream` among `coworkers`; `clientHost` is the host the client asked for
    /// (SRS's `ip` parameter). Calls back once, on the loop: the origin, or nil.
    func discover(vhost: String, app: String, stream: String, clientHost: String, coworkers: [HostPort],
                  cid: String, _ done: @escaping (DiscoveredOrigin?) -> Void) {
        hosts.expand(coworkers) { [weak self] peers in
            guard let self else { return }
            let asked = Array(peers.prefix(Self.maxPeers))
            guard !asked.isEmpty else {
                Log.warnRepeated("origin cluster", "origin cluster: no coworker address for \(vhost)/\(app)/\(stream)", cid: cid)
                done(nil)
                return
            }
            var left = asked.count
            var answered = false
            for (peer, address) in asked {
                let coworker = address.contains(":") ? "[\(address)]:\(peer.port)" : "\(address):\(peer.port)"
                let target = "/api/v1/clusters?vhost=\(Self.escape(vhost))&ip=\(Self.escape(clientHost))&app=\(Self.escape(app))"
                    + "&stream=\(Self.escape(stream))&coworker=\(Self.escape(coworker))"
                let request = HTTPClientRequest(method: "POST", host: address, port: peer.port, target: target, headers: [
                    HTTPHeader("Host", coworker), HTTPHeader("User-Agent", Version.server), HTTPHeader("Content-Length", "0")],
                                                timeoutMs: Self.callTimeoutMs)
                let started = self.client.start(request) { [weak self] result in
                    left -= 1
                    guard !answered else { return }
                    switch result {
                    case .success(let (head, body)):
                        if head.status == 200, let origin = ClustersAnswer.parse(body) {
                            answered = true
                            Log.traceClient("origin cluster redirect", "http: cluster redirect \(origin.ip):\(origin.port) ok, url=http://\(coworker)\(target), response=\(String(decoding: body.prefix(512), as: UTF8.self))", cid: cid)
                            done(origin)
                            return
                        }
                    case .failure(let e):
                        Log.warnRepeated("origin cluster", "origin cluster: ask coworker \(coworker): \(e)", cid: cid)
                        self?.hosts.invalidate(peer.host)
                    }
                    if left == 0 {
                        answered = true
                        done(nil)
                    }
                }
                if started == nil {
                    Log.warnRepeated("origin cluster", "origin cluster: ask coworker \(coworker): too many calls in progress", cid: cid)
                    left -= 1
                    if left == 0 && !answered {
                        answered = true
                        done(nil)
                    }
                }
            }
        }
    }

    /// Percent-encodes a query value (everything but RFC 3986 unreserved characters).
    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}
