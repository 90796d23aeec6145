import Protocol

/// A stream published on some worker, and where siblings pull it from.
public struct PublishedStream: Equatable, Sendable {
    public var key: StreamKey
    /// The owning worker's pid.
    public var worker: Int32
    /// The owning worker's relay socket.
    public var relay: String

    public init(key: StreamKey, worker: Int32, relay: String) {
        self.key = key
        self.worker = worker
        self.relay = relay
    }

    public var json: JSONValue { ["key": .string(key.description), "worker": .int(Int64(worker)), "relay": .string(relay)] }

    public init?(json j: JSONValue) {
        guard let key = j["key"]?.stringValue.flatMap(StreamKey.init(parsing:)), let w = j["worker"]?.intValue, let relay = j["relay"]?.stringValue else { return nil }
        self.init(key: key, worker: Int32(truncatingIfNeeded: w), relay: relay)
    }
}
