import Core
import Protocol
import System

/// SRS 5's `forward { backend URL; }` (`SrsHttpHooks::on_forward_backend`): at each publish,
/// POST the stream to the backend and forward to the RTMP URLs it answers.
///
/// Request: `{"action":"on_forward","server_id","service_id","client_id","ip","vhost","app",
/// "tcUrl","stream","param"}`. Answer (HTTP 200 or 201): `{"code":0,"data":{"urls":["rtmp://..."]}}`;
/// empty URLs are skipped; no URL means no forward. Any other answer is an error: logged, and
/// the stream is not forwarded (SRS refuses the publish instead).
enum ForwardBackend {
    /// What the backend learns about the publish.
    struct Publish {
        var serverID: String
        var serviceID: String
        var clientID: String
        var ip: String
        var vhost: String
        var app: String
        var tcUrl: String
        var stream: String
        var param: String

        var json: JSONValue {
            ["action": "on_forward", "server_id": .string(serverID), "service_id": .string(serviceID),
             "client_id": .string(clientID), "ip": .string(ip), "vhost": .string(vhost), "app": .string(app),
             "tcUrl": .string(tcUrl), "stream": .string(stream), "param": .string(param)]
        }
    }

    static let timeoutMs: Int64 = 5000

    /// Asks `url` (`http://host[:port]/path[?query]`) through `client` (which resolves a name
    /// off the loop); `done` gets the RTMP URLs or why not.
    static func ask(_ url: String, _ publish: Publish, client: HTTPClientPool,
                    done: @escaping (Result<[String], HTTPCallError>) -> Void) {
        guard let (host, port, target) = split(url) else {
            done(.failure(HTTPCallError(url: url, reason: "not an http://host[:port]/path URL")))
            return
        }
        let body = publish.json.encodedBytes()
        let authority = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        let request = HTTPClientRequest(method: "POST", host: host, port: port, target: target, headers: [
            HTTPHeader("Host", authority), HTTPHeader("User-Agent", Version.server), HTTPHeader("Content-Length", "\(body.count)"),
            HTTPHeader("Connection", "close"), HTTPHeader("Content-Type", "application/json")], body: body, timeoutMs: timeoutMs)
        let started = client.start(request) { result in
            done(result.flatMap { head, body in urls(status: head.status, body: body, url: url) })
        }
        if started == nil { done(.failure(HTTPCallError(url: url, reason: "too many calls in progress"))) }
    }

    /// The URLs of a backend's answer, as SRS reads it.
    static func urls(status: Int, body: [UInt8], url: String) -> Result<[String], HTTPCallError> {
        guard status == 200 || status == 201 else { return .failure(HTTPCallError(url: url, reason: "http status \(status)")) }
        guard let j = try? JSONValue.parse(body), j.members != nil else {
            return .failure(HTTPCallError(url: url, reason: "the answer is not a JSON object"))
        }
        if let code = j["code"]?.intValue, code != 0 { return .failure(HTTPCallError(url: url, reason: "code \(code)")) }
        guard let list = j["data"]?["urls"]?.arrayValue else {
            return .failure(HTTPCallError(url: url, reason: "no data.urls in the answer"))
        }
        return .success(list.compactMap(\.stringValue).filter { !$0.isEmpty })
    }

    /// `http://host[:port]/path?q` → host, port (80), `/path?q`.
    static func split(_ url: String) -> (String, Int, String)? {
        guard url.hasPrefix("http://") else { return nil }
        let rest = url.dropFirst("http://".count)
        let slash = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let hp = HostPort(parsing: String(rest[..<slash]), defaultPort: 80), !hp.host.isEmpty else { return nil }
        let target = slash == rest.endIndex ? "/" : String(rest[slash...])
        return (hp.host, hp.port, target)
    }
}
