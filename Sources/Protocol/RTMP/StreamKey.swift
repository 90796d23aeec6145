/// A live stream of this server: its vhost (the configured vhost's name), app and stream, the
/// key of its source, of its HLS writer and of the masters' registry of who publishes what.
///
/// Two keys are the same stream when they render to the same `vhost/app/stream` (as SRS's
/// stream url): the app and the stream may hold `/`, so `live/a` + `b` and `live` + `a/b` are
/// one stream, as they always were here. Only that rendering crosses process boundaries (the
/// control messages carry it as text); `init(parsing:)` splits it at its first two slashes.
public struct StreamKey: Hashable, Sendable, CustomStringConvertible {
    public let vhost: String
    public let app: String
    public let stream: String
    /// `vhost/app/stream`.
    public let description: String

    public init(vhost: String, app: String, stream: String) {
        self.vhost = vhost
        self.app = app
        self.stream = stream
        description = "\(vhost)/\(app)/\(stream)"
    }

    /// A key as `description` renders it; nil without two slashes.
    public init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        self.init(vhost: String(parts[0]), app: String(parts[1]), stream: String(parts[2]))
    }

    /// `/app/stream`, as SRS's API shows a stream's url.
    public var url: String { "/\(app)/\(stream)" }

    public static func == (a: StreamKey, b: StreamKey) -> Bool { a.description == b.description }
    public func hash(into h: inout Hasher) { h.combine(description) }
}
