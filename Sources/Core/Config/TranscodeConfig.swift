import Kernel

/// `transcode [scope] { enabled; ffmpeg; engine NAME { ... } }`: one ffmpeg per published stream
/// and enabled engine, run by the worker that holds the publisher while the publish lasts.
public struct TranscodeConfig: Equatable, Sendable {
    /// The streams it applies to: every stream of the vhost (`""`), an app (`live`), or one
    /// stream (`live/livestream`).
    public var scope: String
    /// Default off.
    public var enabled = false
    public var ffmpeg = ""
    public var engines: [FFmpegEngine] = []

    public init(scope: String = "") { self.scope = scope }

    /// Whether it applies to `app/stream` (SRS's three scopes).
    public func applies(app: String, stream: String) -> Bool {
        scope.isEmpty || scope == app || scope == app + "/" + stream
    }
}
