import Kernel

/// The rule for the names a client gives a stream (RTMP connect/publish/play, HTTP-FLV paths):
/// every entry point refuses a request it breaks, before any source, file or log line is made
/// from the names.
///
/// - No field (tcUrl, vhost, app, stream, params) holds a control character as
///   `ControlCharacter` defines them (C0 with NUL and newlines, DEL, C1, U+2028/U+2029): a NUL
///   truncates the file paths built from the names (`victim.html\0` wrote `victim.html`) and a
///   newline forges log lines. SRS 7 checks none of this; no real encoder sends them.
/// - The app and the stream are `/`-separated paths whose components are neither empty, `.` nor
///   `..`, so two different names never render to the same file (`live` + `../ctl` would write
///   `ctl`'s playlist; `a//b` the files of `a/b`) and no name climbs out of its directory. The
///   vhost is one such component (no `/`). Leading and trailing slashes were trimmed by
///   `RTMPRequest` already; an empty name is left to the callers' own checks.
///
/// Other strings from the wire (pageUrl, swfUrl, HTTP headers) are not names: they are accepted,
/// and escaped where they are logged.
public enum StreamName {
    /// A field the rule refuses, with the value as the client sent it.
    public struct Refusal: Error, Equatable, Sendable, CustomStringConvertible {
        public var field: String
        public var value: String
        public var reason: String

        public var description: String { "\(field) \"\(value)\" \(reason)" }
    }

    /// The first field that breaks the rule, or nil when all of them are acceptable.
    public static func refusal(tcUrl: String = "", vhost: String, app: String, stream: String,
                               param: String) -> Refusal? {
        for (field, value) in [("tcUrl", tcUrl), ("vhost", vhost), ("app", app), ("stream", stream), ("param", param)]
        where ControlCharacter.contains(in: value) {
            return Refusal(field: field, value: value, reason: "has a control character")
        }
        if !vhost.isEmpty, vhost.contains("/") || vhost == "." || vhost == ".." {
            return Refusal(field: "vhost", value: vhost, reason: "is not a host name")
        }
        for (field, value) in [("app", app), ("stream", stream)] where !isPlainPath(value) {
            return Refusal(field: field, value: value, reason: "has an empty, . or .. path component")
        }
        return nil
    }

    /// Whether every `/`-separated component of `name` is non-empty and not `.` or `..`.
    static func isPlainPath(_ name: String) -> Bool {
        if name.isEmpty { return true }
        return !name.split(separator: "/", omittingEmptySubsequences: false).contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }
}

extension RTMPRequest {
    /// The first field of this request that `StreamName` refuses, or nil. Checked after
    /// `setConnect` (tcUrl, vhost, app, params) and again after `setStream`.
    public var nameRefusal: StreamName.Refusal? {
        StreamName.refusal(tcUrl: tcUrl, vhost: vhost, app: app, stream: stream, param: param)
    }
}
