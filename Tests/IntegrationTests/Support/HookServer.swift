import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One request a hook server received.
struct HookRecord {
    var t: Double
    var method: String
    var path: String
    var headers: [(String, String)]
    var body: String
    /// The client's port: requests on one kept-alive connection share it.
    var peer: Int
    /// The body's members, parsed, and their names in the order sent.
    var fields: [String: Any]
    var keys: [String]

    var action: String { fields["action"] as? String ?? (method == "GET" ? "on_hls_notify" : "") }
    var clientID: String { fields["client_id"] as? String ?? "" }
    var stream: String { fields["stream"] as? String ?? "" }
    func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }

    /// The top-level member names of a flat JSON object, in order.
    static func keys(of body: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: #"[{,]"([A-Za-z_]+)":"#) else { return [] }
        let ns = body as NSString
        return re.matches(in: body, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range(at: 1)) }
    }
}

/// tools/hooks/hook_recorder.py on a free port, in its own directory: records what it receives,
/// answers by rules (`set`). Stopped by pid.
final class HookServer {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("tools/hooks/hook_recorder.py").path

    let port: Int
    let dir: URL
    private let tool: Tool

    init(port: Int = FreePort.next()) throws {
        self.port = port
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("hooks-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        tool = try Tool("/usr/bin/env", ["python3", Self.script, "\(port)", dir.path])
        Deadline.wait(timeout: 10) { [tool] in TCPProbe.canConnect(port: port) || !tool.isRunning }
        guard TCPProbe.canConnect(port: port) else { throw TestError("hook server did not start: \(tool.output)") }
    }

    /// `http://127.0.0.1:port/path`.
    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// Answers by these rules from now on ("on_publish": "deny", "on_play:slow": "slow:2000"...).
    func set(_ rules: [String: String]) throws {
        let data = try JSONSerialization.data(withJSONObject: rules)
        try data.write(to: dir.appendingPathComponent("rules.json"), options: .atomic)
    }

    var requests: [HookRecord] {
        guard let text = try? String(contentsOf: dir.appendingPathComponent("requests.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let j = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            let body = j["body"] as? String ?? ""
            let fields = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:]
            let headers = (j["headers"] as? [[String]] ?? []).compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
            return HookRecord(t: j["t"] as? Double ?? 0, method: j["method"] as? String ?? "", path: j["path"] as? String ?? "",
                              headers: headers, body: body, peer: j["peer"] as? Int ?? 0, fields: fields,
                              keys: HookRecord.keys(of: body))
        }
    }

    /// The requests of `action` (optionally of one stream).
    func requests(_ action: String, stream: String? = nil) -> [HookRecord] {
        requests.filter { $0.action == action && (stream == nil || $0.stream == stream) }
    }

    /// Waits until `ok` holds for the requests so far.
    @discardableResult
    func wait(timeout: TimeInterval = 10, _ ok: ([HookRecord]) -> Bool) -> Bool {
        Deadline.wait(timeout: timeout, every: 0.05) { ok(requests) }
    }

    func stop() {
        tool.stop()
        try? FileManager.default.removeItem(at: dir)
    }
}
