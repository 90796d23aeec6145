/// Content types of static files, by extension (case-insensitive).
public enum MIMEType {
    static let byExtension: [String: String] = [
        "m3u8": "application/vnd.apple.mpegurl",
        "ts": "video/MP2T",
        "flv": "video/x-flv",
        "mp4": "video/mp4",
        "m4s": "video/iso.segment",
        "mpd": "application/dash+xml",
        "aac": "audio/aac",
        "mp3": "audio/mpeg",
        "html": "text/html; charset=utf-8",
        "htm": "text/html; charset=utf-8",
        "js": "application/javascript",
        "css": "text/css",
        "xml": "text/xml",
        "json": "application/json",
        "txt": "text/plain",
        "png": "image/png",
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "gif": "image/gif",
        "ico": "image/x-icon",
        "svg": "image/svg+xml",
        "wasm": "application/wasm",
    ]

    /// The content type for a file path; `application/octet-stream` when the extension is unknown.
    public static func forPath(_ path: String) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? Substring(path)
        guard let dot = name.lastIndex(of: ".") else { return "application/octet-stream" }
        let ext = name[name.index(after: dot)...].lowercased()
        return byExtension[ext] ?? "application/octet-stream"
    }
}
