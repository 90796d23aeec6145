import Kernel

/// `ingest NAME { enabled; input { type; url; } ffmpeg; engine { ... } }`: ffmpeg pulls a file or
/// a stream and publishes it here, supervised once per server by the master.
public struct IngestConfig: Equatable, Sendable {
    /// `file` (played once, then restarted) or `stream`. SRS's `device` is not supported.
    public enum InputType: String, Equatable, Sendable { case file, stream }

    /// The name after `ingest`, unique in its vhost.
    public var name: String
    /// Default off.
    public var enabled = false
    public var inputType = InputType.file
    public var inputURL = ""
    /// The ffmpeg program (a path, as SRS: no `PATH` search).
    public var ffmpeg = ""
    /// One ffmpeg per engine; an engine disabled, or without vcodec and acodec, copies.
    public var engines: [FFmpegEngine] = []

    public init(name: String) { self.name = name }
}
