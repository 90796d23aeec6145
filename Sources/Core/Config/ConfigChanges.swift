/// What a reload changes, computed once from the running config and the new one
/// (`ServerConfig.changes(to:)`). The master logs it (`logLines`, SRS's `reload ... success.`)
/// and acts on it (its log, the worker pool); every worker computes it from the config it runs
/// and the one it was sent, and applies it (its log, its share of the log budget, HLS of the
/// streams it publishes, clients of vhosts that went). Listeners are not in it: both sides
/// compare the listener sets themselves, since what a worker holds is its own sockets.
public struct ConfigChanges: Equatable, Sendable {
    /// A block's `enabled` before and after a change of the block.
    public struct Toggle: Equatable, Sendable {
        public var from: Bool
        public var to: Bool
    }

    /// What changed in a vhost present in both configs.
    public struct VhostChanges: Equatable, Sendable {
        public var name: String
        public var enabled: Toggle?
        /// `hls` changed; its `enabled` before and after.
        public var hls: Toggle?
        public var httpRemux = false
        public var play = false
        public var publish = false
        public var cluster = false
    }

    /// The vhost that serves a name (`ServerConfig.vhost(_:)`, which falls back to the default
    /// vhost) before and after, where it differs.
    public struct Served: Equatable, Sendable {
        public var before: VhostConfig?
        public var after: VhostConfig?
    }

    public var listen = false
    public var maxConnections = false
    public var httpAPI: Toggle?
    public var httpServer: Toggle?
    /// `srs_log_level`, `srs_log_tank` or `srs_log_file`.
    public var log = false
    /// `grace_start_wait`, `grace_final_wait`, `grace_max_wait` or `force_grace_quit`.
    public var grace = false
    public var workerProcesses = false
    public var clientTimeouts = false
    public var addedVhosts: [String] = []
    public var removedVhosts: [String] = []
    /// Vhosts in both configs that changed, in the new config's order.
    public var vhosts: [VhostChanges] = []
    /// SRS's lines for the sections that run processes or republish streams (forward,
    /// transcode, exec, ingest; see `ServerConfig.processReloadLines`).
    public var processLines: [String] = []
    /// Names (every vhost of either config) whose serving vhost changed.
    var served: [String: Served] = [:]
    /// The same for every other name (served by the default vhost, if any).
    var servedOthers: Served?

    /// How the vhost serving `name` changed; nil when it did not.
    public func served(_ name: String) -> Served? { served[name] ?? servedOthers }

    /// The `hls` settings serving `name` before and after, when they changed.
    public func hls(ofVhost name: String) -> (before: HLSConfig?, after: HLSConfig?)? {
        guard let s = served(name), s.before?.hls != s.after?.hls else { return nil }
        return (s.before?.hls, s.after?.hls)
    }

    /// True when `name` was served and no longer is (its vhost removed or disabled).
    public func stopsServing(vhost name: String) -> Bool {
        guard let s = served(name) else { return false }
        return s.before != nil && s.after == nil
    }

    /// SRS-style log lines for what changed.
    public var logLines: [String] {
        func onOff(_ b: Bool) -> String { b ? "on" : "off" }
        func toggled(_ what: String, _ t: Toggle) -> String {
            t.from != t.to ? "\(what) \(onOff(t.from))=>\(onOff(t.to)) success." : "\(what) success."
        }
        var out: [String] = []
        if listen { out.append("reload listen success.") }
        if maxConnections { out.append("reload max_connections success.") }
        if let t = httpAPI { out.append(toggled("reload http_api", t)) }
        if let t = httpServer { out.append(toggled("reload http_server", t)) }
        if log { out.append("reload log success.") }
        if grace { out.append("reload grace settings success.") }
        if workerProcesses { out.append("reload worker_processes success.") }
        if clientTimeouts { out.append("reload client timeouts success.") }
        for v in addedVhosts { out.append("reload new vhost \(v) success.") }
        for v in removedVhosts { out.append("reload removed vhost \(v) success.") }
        for v in vhosts {
            if let t = v.enabled { out.append("vhost \(v.name) reload enabled \(onOff(t.from))=>\(onOff(t.to)) success.") }
            if let t = v.hls { out.append(toggled("vhost \(v.name) reload hls", t)) }
            if v.httpRemux { out.append("vhost \(v.name) reload http_remux success.") }
            if v.play { out.append("vhost \(v.name) reload play success.") }
            if v.publish { out.append("vhost \(v.name) reload publish success.") }
            if v.cluster { out.append("vhost \(v.name) reload cluster success.") }
        }
        return out + processLines
    }
}
