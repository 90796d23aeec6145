import Core
import Protocol
import System

/// Static files under `http_server.dir` (and the HLS path): MIME types, HEAD, single ranges.
/// Request paths arrive normalized by the parser (no `..` can escape the root).
final class StaticFiles {
    private let config: ConfigStore
    /// Files larger than this are refused rather than read into memory (HLS segments are far smaller).
    static let maxFileBytes = 64 * 1024 * 1024

    init(config: ConfigStore) { self.config = config }

    func serve(_ req: HTTPRequestHead) -> HTTPResponse {
        let config = config.current
        var roots = [config.httpServer.dir]
        if req.path.hasSuffix(".m3u8") || req.path.hasSuffix(".ts") {
            for v in config.vhosts where v.hls.enabled && !roots.contains(v.hls.path) { roots.append(v.hls.path) }
        }
        for root in roots {
            var path = root + req.path
            guard var info = FileSystem.info(path) else { continue }
            if info.isDirectory {
                path += path.hasSuffix("/") ? "index.html" : "/index.html"
                guard let i = FileSystem.info(path) else { continue }
                info = i
            }
            guard info.isRegular else { continue }
            return file(path, info: info, req)
        }
        return .text(404, "Not Found\n")
    }

    private func file(_ path: String, info: FileSystem.Info, _ req: HTTPRequestHead) -> HTTPResponse {
        if info.size > Self.maxFileBytes { return .text(413, "File Too Large\n") }
        var start = 0
        var count = info.size
        var status = 200
        var extra: [HTTPHeader] = [HTTPHeader("Accept-Ranges", "bytes")]
        switch HTTPRange.parse(req.header("Range"), size: info.size) {
        case .full:
            break
        case .partial(let s, let e):
            start = s
            count = e - s + 1
            status = 206
            extra.append(HTTPHeader("Content-Range", "bytes \(s)-\(e)/\(info.size)"))
        case .unsatisfiable:
            var r = HTTPResponse.text(416, "Range Not Satisfiable\n")
            r.headers.append(HTTPHeader("Content-Range", "bytes */\(info.size)"))
            return r
        }
        let body: [UInt8]
        do {
            body = req.method == "HEAD" ? [] : try FileSystem.read(path, offset: start, count: count)
        } catch {
            Log.warnRepeated("read file failed", "read \(path): \(error)")
            return .text(500, "Internal Server Error\n")
        }
        var r = HTTPResponse(status: status, contentType: MIMEType.forPath(path), body: body)
        r.headers += extra
        // HEAD carries the length the GET body would have.
        if req.method == "HEAD" { r.headers.append(HTTPHeader("Content-Length", "\(count)")) }
        if path.hasSuffix(".m3u8") { r.headers.append(HTTPHeader("Cache-Control", "no-cache")) }
        return r
    }
}
