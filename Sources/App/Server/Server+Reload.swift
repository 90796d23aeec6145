import Core
import System

extension Server {
    /// Applies a reloaded config (the master validated it) without dropping what it does not
    /// affect: listeners that stay keep their sockets (their fresh copies from the master are
    /// closed), new ones open, removed ones close; vhost settings apply to the next request;
    /// HLS starts, stops or changes on streams being published; clients of a removed or
    /// disabled vhost are disconnected.
    func reload(_ new: ServerConfig, listeners passed: [Listener]) {
        let old = config
        let changes = old.changes(to: new)
        settings.current = new
        let wanted = Set(passed.map(\.spec))
        for spec in listening where !wanted.contains(spec) {
            close(spec)
            Log.trace("reload: stop listening at \(spec.address)")
        }
        for l in passed {
            if listening.contains(l.spec) {
                l.fd.close()
                continue
            }
            do { try open(l) } catch { Log.error("reload: listen at \(l.spec.address) failed: \(error)") }
        }
        if changes.log {
            do { try new.applyLog(previous: old) } catch { Log.error("reload: cannot open log file \(new.logFile): \(error)") }
        }
        if changes.workerProcesses { Log.shareClientBudget(among: new.workerProcesses.resolved) }
        sources.applyPlayConfig()
        hub.reload(to: new)
        for s in Array(sources.sources.values) {
            guard let cid = s.publisherCID, let c = connections.connection(cid), !c.isInternal,
                  let (before, after) = changes.hls(ofVhost: s.vhost) else { continue }
            hls.reconfigure(s, from: before, to: after, vhost: new.vhost(s.vhost))
        }
        for c in connections.all where !c.isInternal {
            let info = c.clientInfo
            guard !info.vhost.isEmpty, changes.stopsServing(vhost: info.vhost) else { continue }
            Log.trace("reload: vhost \(info.vhost) removed, disconnect client \(c.cid)")
            c.close()
        }
        Log.trace("reload: worker applied the new config")
    }
}
