import System

/// Who the server is in API answers: SRS's `server` (server_id), `service` (per start) and `pid`
/// (the master's, which the pid file holds), the same in every worker.
public struct ServerIdentity: Equatable, Sendable {
    public var serverID: String
    public var serviceID: String
    public var pid: Int32

    public init(serverID: String, serviceID: String, pid: Int32) {
        self.serverID = serverID
        self.serviceID = serviceID
        self.pid = pid
    }
}

extension ServerIdentity {
    /// A new identity for a server started with `config` (a master's start; a worker run alone):
    /// `server_id` from the config, else a random `vid-xxxxxxx`, and a random service id.
    public static func starting(_ config: ServerConfig, pid: Int32) -> ServerIdentity {
        ServerIdentity(serverID: config.serverID ?? "vid-" + String(Log.newContextID().prefix(7)),
                       serviceID: Log.newContextID(), pid: pid)
    }
}
