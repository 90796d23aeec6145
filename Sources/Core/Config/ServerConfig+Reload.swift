extension ServerConfig {
    /// What replacing this config by `new` changes.
    public func changes(to new: ServerConfig) -> ConfigChanges {
        let old = self
        var c = ConfigChanges()
        c.listen = old.listen != new.listen
        c.maxConnections = old.maxConnections != new.maxConnections
        if old.httpAPI != new.httpAPI { c.httpAPI = .init(from: old.httpAPI.enabled, to: new.httpAPI.enabled) }
        if old.httpServer != new.httpServer { c.httpServer = .init(from: old.httpServer.enabled, to: new.httpServer.enabled) }
        c.log = old.logLevel != new.logLevel || old.logTank != new.logTank || old.logFile != new.logFile
        c.grace = old.graceStartWaitMs != new.graceStartWaitMs || old.graceFinalWaitMs != new.graceFinalWaitMs
            || old.graceMaxWaitMs != new.graceMaxWaitMs || old.forceGraceQuit != new.forceGraceQuit
        c.workerProcesses = old.workerProcesses != new.workerProcesses
        c.clientTimeouts = old.clientTimeouts != new.clientTimeouts
        let oldNames = Set(old.vhosts.map(\.name))
        let newNames = Set(new.vhosts.map(\.name))
        c.addedVhosts = new.vhosts.map(\.name).filter { !oldNames.contains($0) }
        c.removedVhosts = old.vhosts.map(\.name).filter { !newNames.contains($0) }
        for v in new.vhosts {
            guard let o = old.vhosts.first(where: { $0.name == v.name }) else { continue }
            var d = ConfigChanges.VhostChanges(name: v.name)
            if o.enabled != v.enabled { d.enabled = .init(from: o.enabled, to: v.enabled) }
            if o.hls != v.hls { d.hls = .init(from: o.hls.enabled, to: v.hls.enabled) }
            d.httpRemux = o.httpRemux != v.httpRemux
            d.play = o.play != v.play
            d.publish = o.publish != v.publish
            d.cluster = o.cluster != v.cluster
            if d != ConfigChanges.VhostChanges(name: v.name) { c.vhosts.append(d) }
        }
        for name in oldNames.union(newNames) {
            let s = ConfigChanges.Served(before: old.vhost(name), after: new.vhost(name))
            if s.before != s.after { c.served[name] = s }
        }
        // A name neither config has is served by the default vhost, if enabled (as `vhost(_:)`).
        let others = ConfigChanges.Served(before: old.defaultVhost, after: new.defaultVhost)
        if others.before != others.after { c.servedOthers = others }
        c.processLines = old.processReloadLines(to: new)
        return c
    }

    /// The vhost serving names that have none of their own.
    private var defaultVhost: VhostConfig? { vhosts.first { $0.name == VhostConfig.defaultName && $0.enabled } }

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
