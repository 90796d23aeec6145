extension ServerConfig {
    /// SRS's reload lines for the sections that run processes or republish streams
    /// (`SrsConfig::reload_vhost`, `reload_ingest`), for vhosts in both configs. Unlike SRS,
    /// which ends every vhost's reload with `ingest nothing changed`, that line says so only
    /// when it is true.
    public func processReloadLines(to new: ServerConfig) -> [String] {
        var out: [String] = []
        for v in new.vhosts {
            guard let o = vhosts.first(where: { $0.name == v.name }) else { continue }
            if o.forward != v.forward { out.append("vhost \(v.name) reload forward success.") }
            if o.transcodes != v.transcodes { out.append("vhost \(v.name) reload transcode success.") }
            if o.exec != v.exec { out.append("vhost \(v.name) reload exec success.") }
            let before = Dictionary(o.ingests.filter(\.enabled).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            let after = Dictionary(v.ingests.filter(\.enabled).map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            var changed = false
            for i in o.ingests where i.enabled && after[i.name] == nil {
                out.append("vhost \(v.name) reload ingest=\(i.name) removed success.")
                changed = true
            }
            for i in v.ingests where i.enabled {
                if let b = before[i.name] {
                    guard b != i else { continue }
                    out.append("vhost \(v.name) reload ingest=\(i.name) updated success.")
                } else {
                    out.append("vhost \(v.name) reload ingest=\(i.name) added success.")
                }
                changed = true
            }
            if !changed && !v.ingests.isEmpty { out.append("ingest nothing changed for vhost=\(v.name)") }
        }
        return out
    }
}
