/// The formats of `http_remux` live mounts, chosen by the mount's extension as SRS does
/// (`SrsLiveStream::do_serve_http` in srs_app_http_stream.cpp), with SRS's content types.
public enum LiveRemuxFormat: String, CaseIterable, Sendable {
    /// `.flv`: FLV tags (`video/x-flv`).
    case flv
    /// `.ts`: MPEG-TS (`video/MP2T`), see `TSRemuxer`.
    case ts
    /// `.aac`: ADTS frames (`audio/x-aac`), see `AudioStreamRemuxer`.
    case aac
    /// `.mp3`: MP3 frames after an ID3 tag (`audio/mpeg`), see `AudioStreamRemuxer`.
    case mp3

    /// The format of a mount such as `[vhost]/[app]/[stream].ts`; nil for another extension
    /// (SRS refuses it: "invalid pattern").
    public init?(mount: String) {
        guard let dot = mount.lastIndex(of: "."), !mount[dot...].contains("/") else { return nil }
        self.init(rawValue: String(mount[mount.index(after: dot)...]))
    }

    /// The Content-Type SRS 7 answers with.
    public var contentType: String {
        switch self {
        case .flv: return "video/x-flv"
        case .ts: return "video/MP2T"
        case .aac: return "audio/x-aac"
        case .mp3: return "audio/mpeg"
        }
    }

    /// The mount's extension, with its dot.
    public var fileExtension: String { "." + rawValue }
}
