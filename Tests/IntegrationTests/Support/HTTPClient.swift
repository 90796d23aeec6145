import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A minimal blocking HTTP/1.1 client over raw sockets (Connection: close), bounded in time.
struct HTTPReply {
    var status: Int
    var headers: [String: String]
    var body: Data
    var text: String { String(decoding: body, as: UTF8.self) }
    func json() throws -> [String: Any] {
        guard let j = try JSONSerialization.jsonObject(with: body) as? [String: Any] else { throw TestError("not a JSON object: \(text)") }
        return j
    }
}

enum HTTPClient {
    static func request(_ method: String = "GET", port: Int, path: String, headers: [String: String] = [:],
                        rawRequest: String? = nil, timeout: TimeInterval = 10) throws -> HTTPReply {
        let fd = try RawClient.connect(port: port)
        defer { close(fd) }
        var req = rawRequest ?? "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        if rawRequest == nil {
            for (k, v) in headers { req += "\(k): \(v)\r\n" }
            req += "\r\n"
        }
        RawClient.send(fd, Array(req.utf8))
        let raw = RawClient.receiveUntilClose(fd, timeout: timeout)
        return try parse(raw, method: method)
    }

    static func get(_ port: Int, _ path: String) throws -> HTTPReply { try request(port: port, path: path) }
    static func get(port: Int, path: String) throws -> HTTPReply { try request(port: port, path: path) }

    /// GET a JSON object (fails on another status).
    static func getJSON(port: Int, path: String) throws -> [String: Any] {
        let r = try request(port: port, path: path)
        guard r.status == 200 else { throw TestError("GET \(path): status \(r.status): \(r.text)") }
        return try r.json()
    }

    static func parse(_ raw: [UInt8], method: String) throws -> HTTPReply {
        guard let sep = find(raw, [13, 10, 13, 10]) else { throw TestError("no HTTP head in \(raw.count) bytes") }
        let head = String(decoding: raw[0..<sep], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw TestError("bad status line \(head[0])") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            if let c = line.firstIndex(of: ":") {
                headers[line[..<c].lowercased()] = line[line.index(after: c)...].trimmingCharacters(in: .whitespaces)
            }
        }
        var body = Array(raw[(sep + 4)...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return HTTPReply(status: status, headers: headers, body: Data(body))
    }

    static func dechunk(_ b: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var i = 0
        while let eol = find(Array(b[i...]), [13, 10]).map({ $0 + i }) {
            let size = Int(String(decoding: b[i..<eol], as: UTF8.self).split(separator: ";")[0], radix: 16) ?? 0
            if size == 0 { break }
            let start = eol + 2
            guard start + size <= b.count else { out += b[start...]; break }
            out += b[start..<(start + size)]
            i = start + size + 2
            if i >= b.count { break }
        }
        return out
    }

    static func find(_ hay: [UInt8], _ needle: [UInt8]) -> Int? {
        guard hay.count >= needle.count else { return nil }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] && Array(hay[i..<(i + needle.count)]) == needle { return i }
        return nil
    }
}

extension RawClient {
    /// Reads until the peer closes or `timeout` passes.
    static func receiveUntilClose(_ fd: Int32, timeout: TimeInterval) -> [UInt8] {
        var out: [UInt8] = []
        let deadline = Deadline(seconds: timeout)
        var buf = [UInt8](repeating: 0, count: 65536)
        while !deadline.hasPassed {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&pfd, 1, 100) <= 0 { continue }
            let n = buf.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out += buf[0..<n]
        }
        return out
    }
}
