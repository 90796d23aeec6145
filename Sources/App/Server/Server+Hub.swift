import Core
import Glibc
import System

extension Server {
    /// Makes a worker's origin hub: its children get this process's environment, without the
    /// variables that make `srs` a worker or a resumed master.
    static func makeHub(loop: EventLoop, config: ServerConfig, identity: ServerIdentity, sources: SourceManager,
                        siblings: SiblingLink, cluster: ClusterService) -> OriginHub {
        let env = ProcessEnv.environment().filter { !$0.key.hasPrefix("SWIFTSRS_") }
        return OriginHub(loop: loop, config: config, identity: identity, environment: env,
                         publishedKeys: { [siblings, sources] in
                             Array(Set(siblings.streams.map(\.key))
                                 .union(sources.sources.values.filter { $0.isPublished && $0.publisherKind == .client }.map(\.key)))
                         },
                         resolver: { [unowned cluster] in cluster.resolver }, httpClient: { [unowned cluster] in cluster.httpClient })
    }

    /// SIGCHLD: reaps every child that ended (this worker's transcodes and execs).
    public func reapChildren() {
        for exit in Spawn.reap() { hub.reaped(exit) }
    }
}
