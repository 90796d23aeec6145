/// Whether a hook server's answer accepts, as SRS 7's `SrsHttpHooks::do_post` decides: status
/// 200 or 201; a body that is JSON; then either exactly `0` (not `0\n`) or an object whose
/// `code` is the integer 0 (`{"code":0}`, `{"code": 0, "data": ...}`). Anything else refuses:
/// another status, an empty or non-JSON body, `{"code":1}`, `{"code":"0"}`, `{"code":0.0}`, `1`.
public enum HookAnswer {
    /// Nil when accepted, else why not (for the log).
    public static func refusal(status: Int, body: [UInt8]) -> String? {
        guard status == 200 || status == 201 else { return "http status \(status)" }
        guard !body.isEmpty else { return "empty response" }
        let text = String(decoding: body.prefix(256), as: UTF8.self)
        guard let json = try? JSONValue.parse(body) else { return "response is not json: \(text)" }
        guard let members = json.members else {
            return body == [0x30] ? nil : "response number code \(text)"
        }
        // SRS reads the first member named `code`.
        guard let code = members.first(where: { $0.name == "code" })?.value, case .int(let n) = code else {
            return "response object has no integer code: \(text)"
        }
        return n == 0 ? nil : "response object code \(n): \(text)"
    }
}
