import Protocol

/// `http_hooks { ... }`: SRS's callbacks, each a list of URLs called in order.
public struct HooksConfig: Equatable, Sendable {
    public var enabled = false
    public var onConnect: [String] = []
    public var onClose: [String] = []
    public var onPublish: [String] = []
    public var onUnpublish: [String] = []
    public var onPlay: [String] = []
    public var onStop: [String] = []
    public var onDvr: [String] = []
    public var onHls: [String] = []
    /// `on_hls_notify` URL templates (GET, `[ts_url]` and friends replaced).
    public var onHlsNotify: [String] = []
    /// Beyond SRS (a fixed 30 s there): the deadline of one call, connect to last byte.
    public var timeoutMs = 30_000
    /// `hls { hls_nb_notify }`: bytes of an on_hls_notify answer read before the connection is dropped.
    public var notifyReadBytes = 64
    /// `hls { hls_ctx }`: HLS players get sessions (SRS 7's `hls_ctx` query parameter), so
    /// security and on_play/on_stop apply to them.
    public var hlsSessions = true
    /// `hls { hls_ts_ctx }`: segment URIs in a session's playlist carry its `hls_ctx` too.
    public var hlsSessionSegments = true

    public init() {}

    /// The URLs of an event when hooks are on (empty otherwise).
    public func urls(_ event: HookEvent) -> [String] {
        guard enabled else { return [] }
        switch event {
        case .connect: return onConnect
        case .close: return onClose
        case .publish: return onPublish
        case .unpublish: return onUnpublish
        case .play: return onPlay
        case .stop: return onStop
        case .dvr: return onDvr
        case .hls: return onHls
        }
    }

    /// The on_hls_notify templates when hooks are on.
    public var notifyTemplates: [String] { enabled ? onHlsNotify : [] }
}

/// `security { enabled on; allow play all; deny publish 10.0.0.0/8; ... }`.
public struct SecurityConfig: Equatable, Sendable {
    public var enabled = false
    public var rules = SecurityRules()

    public init() {}

    /// Nil when `ip` may do `action` (always, with security off), else why not.
    public func refusal(_ action: SecurityRules.Action, ip: String) -> String? {
        enabled ? rules.refusal(action, ip: ip) : nil
    }
}

extension HooksConfig {
    /// SRS's directive names, in config order.
    static var directives: [(String, WritableKeyPath<HooksConfig, [String]>)] { [
        ("on_connect", \.onConnect), ("on_close", \.onClose), ("on_publish", \.onPublish), ("on_unpublish", \.onUnpublish),
        ("on_play", \.onPlay), ("on_stop", \.onStop), ("on_dvr", \.onDvr), ("on_hls", \.onHls), ("on_hls_notify", \.onHlsNotify),
    ] }

    /// Reads `http_hooks` (and `hls_nb_notify` from the vhost's `hls`). A URL that does not parse
    /// is an error; an https one a warning (no TLS here: its calls fail, refusing clients).
    init(_ r: ConfigReader, hls: ConfigReader) throws(ConfigError) {
        self.init()
        enabled = try r.bool("enabled", false)
        for (name, path) in Self.directives {
            guard let raw = r.raw(name) else { continue }
            for url in raw.args {
                // The template's variables are replaced before use; check it with sample values.
                let sample = name == "on_hls_notify" ? url.replacingTemplateVariables() : url
                let parsed: HookURL
                do {
                    parsed = try HookURL(parsing: sample)
                } catch {
                    throw ConfigError(raw.location, "\(name): \(error)")
                }
                if parsed.scheme == "https" {
                    r.warnings.add("\(raw.location): \(name) \(url): https is not supported (no TLS), calls to it fail")
                }
            }
            self[keyPath: path] = raw.args
        }
        timeoutMs = try r.durationMs("timeout", timeoutMs, in: 100...600_000)
        notifyReadBytes = try hls.int("hls_nb_notify", notifyReadBytes, in: 0...65_536)
        hlsSessions = try hls.bool("hls_ctx", true)
        hlsSessionSegments = try hls.bool("hls_ts_ctx", true)
    }
}

extension SecurityConfig {
    /// Reads `security`: `enabled`, then every `allow`/`deny` in order (`allow play all;`).
    init(_ r: ConfigReader) throws(ConfigError) {
        self.init()
        enabled = try r.bool("enabled", false)
        var rules: [SecurityRules.Rule] = []
        for d in r.block?.children ?? [] where d.name == "allow" || d.name == "deny" {
            guard d.args.count == 2 else {
                throw ConfigError(d, "\(d.name) needs an action (play or publish) and a target (all, an IP or a network)")
            }
            let (action, target) = (d.args[0], d.args[1])
            if action != "play" && action != "publish" {
                r.warnings.add("\(d.location): \(d.name) \(action): the action is play or publish; this rule matches nothing")
            }
            if target.contains("/") && IPNetwork(target) == nil, let why = SecurityRules.targetWarning(target) {
                throw ConfigError(d, "\(d.name) \(action) \(why)")
            }
            if let why = SecurityRules.targetWarning(target) { r.warnings.add("\(d.location): \(d.name) \(action) \(why)") }
            rules.append(SecurityRules.Rule(allow: d.name == "allow", action: action, target: target))
        }
        self.rules = SecurityRules(rules)
    }
}

private extension String {
    /// `[app]` and the other on_hls_notify variables replaced by a plain word.
    func replacingTemplateVariables() -> String {
        var out = ""
        var inside = false
        for c in self {
            switch c {
            case "[":
                inside = true
                out += "x"
            case "]" where inside:
                inside = false
            default:
                if !inside { out.append(c) }
            }
        }
        return out
    }
}
