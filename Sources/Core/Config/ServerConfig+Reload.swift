extension ServerConfig {
    /// SRS-style log lines for what a reload changed.
    public func reloadChanges(to new: ServerConfig) -> [String] {
        let old = self
        func onOff(_ b: Bool) -> String { b ? "on" : "off" }
        var out: [String] = []
        if old.listen != new.listen { out.append("reload listen success.") }
        if old.maxConnections != new.maxConnections { out.append("reload max_connections success.") }
        if old.httpAPI != new.httpAPI {
            out.append(old.httpAPI.enabled != new.httpAPI.enabled
                       ? "reload http_api \(onOff(old.httpAPI.enabled))=>\(onOff(new.httpAPI.enabled)) success."
                       : "reload http_api success.")
        }
        if old.httpServer != new.httpServer {
            out.append(old.httpServer.enabled != new.httpServer.enabled
                       ? "reload http_server \(onOff(old.httpServer.enabled))=>\(onOff(new.httpServer.enabled)) success."
                       : "reload http_server success.")
        }
        if old.logLevel != new.logLevel || old.logTank != new.logTank || old.logFile != new.logFile {
            out.append("reload log success.")
        }
        if old.graceStartWaitMs != new.graceStartWaitMs || old.graceFinalWaitMs != new.graceFinalWaitMs
            || old.graceMaxWaitMs != new.graceMaxWaitMs || old.forceGraceQuit != new.forceGraceQuit {
            out.append("reload grace settings success.")
        }
        if old.workerProcesses != new.workerProcesses { out.append("reload worker_processes success.") }
        if old.clientTimeouts != new.clientTimeouts { out.append("reload client timeouts success.") }
        let oldNames = Set(old.vhosts.map(\.name))
        let newNames = Set(new.vhosts.map(\.name))
        for v in new.vhosts where !oldNames.contains(v.name) { out.append("reload new vhost \(v.name) success.") }
        for v in old.vhosts where !newNames.contains(v.name) { out.append("reload removed vhost \(v.name) success.") }
        for v in new.vhosts {
            guard let o = old.vhosts.first(where: { $0.name == v.name }) else { continue }
            if o.enabled != v.enabled { out.append("vhost \(v.name) reload enabled \(onOff(o.enabled))=>\(onOff(v.enabled)) success.") }
            if o.hls != v.hls {
                out.append(o.hls.enabled != v.hls.enabled
                           ? "vhost \(v.name) reload hls \(onOff(o.hls.enabled))=>\(onOff(v.hls.enabled)) success."
                           : "vhost \(v.name) reload hls success.")
            }
            if o.httpRemux != v.httpRemux { out.append("vhost \(v.name) reload http_remux success.") }
            if o.play != v.play { out.append("vhost \(v.name) reload play success.") }
            if o.publish != v.publish { out.append("vhost \(v.name) reload publish success.") }
            if o.cluster != v.cluster { out.append("vhost \(v.name) reload cluster success.") }
        }
        return out
    }

    /// Why `new` cannot replace this config live, or nil. As SRS: a vhost cannot switch between
    /// origin and edge (`cluster { mode }`) by reload; that needs a restart.
    public func reloadRefusal(to new: ServerConfig) -> String? {
        for v in new.vhosts {
            guard let o = vhosts.first(where: { $0.name == v.name }), o.cluster.mode != v.cluster.mode else { continue }
            return "vhost \(v.name) mode changed (\(o.cluster.mode.rawValue) => \(v.cluster.mode.rawValue)), restart to apply"
        }
        return nil
    }
}
